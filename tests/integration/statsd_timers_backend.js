/* statsd_timers_backend.js: a backend for Etsy's StatsD daemon that writes
 * what it computed for each timer (count, median, upper, upper_90, ...) as
 * JSON to config.timers.file: what the tests compare with the durations a
 * workload took. A key keeps the flush in which it had the most values:
 * lines sent together may still straddle two flushes, and the figures of
 * a part are no test of anything. */
var fs = require('fs');

exports.init = function (startupTime, config, events) {
  var file = config.timers.file, timers = {};

  events.on('flush', function (timestamp, metrics) {
    for (var key in metrics.timer_data) {
      var n = (metrics.timers[key] || []).length;
      if (key.indexOf('statsd.') === 0 || !n || (timers[key] && timers[key].values >= n))
        continue;
      timers[key] = Object.assign({ values: n }, metrics.timer_data[key]);
    }
    fs.writeFileSync(file + '.tmp', JSON.stringify(timers));
    fs.renameSync(file + '.tmp', file);
  });
  return true;
};
