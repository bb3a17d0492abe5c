/* statsd_timers_backend.js: a backend for Etsy's StatsD daemon that writes
 * what it computed for every timer (count, median, upper, upper_90, ...) at
 * the last flush that had any, as JSON to config.timers.file: what the
 * tests compare with the durations a workload took. */
var fs = require('fs');

exports.init = function (startupTime, config, events) {
  var file = config.timers.file;

  events.on('flush', function (timestamp, metrics) {
    var timers = {}, any = false;
    for (var key in metrics.timer_data) {
      if (key.indexOf('statsd.') === 0 || !metrics.timers[key].length)
        continue;
      timers[key] = metrics.timer_data[key];
      any = true;
    }
    if (!any && fs.existsSync(file))
      return;
    fs.writeFileSync(file + '.tmp', JSON.stringify(timers));
    fs.renameSync(file + '.tmp', file);
  });
  return true;
};
