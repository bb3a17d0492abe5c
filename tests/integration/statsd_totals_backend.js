/* statsd_totals_backend.js: a backend for Etsy's StatsD daemon that keeps
 * the running total of every counter over all flushes and writes them, with
 * the last gauges, as JSON to config.totals.file after each flush: what the
 * tests compare with what the workload did. The daemon parses the UDP
 * datagrams itself (tags too: "name;tag=value;..." keys). */
var fs = require('fs');

exports.init = function (startupTime, config, events) {
  var totals = {}, gauges = {}, file = config.totals.file;

  events.on('flush', function (timestamp, metrics) {
    for (var key in metrics.counters) {
      if (key.indexOf('statsd.') === 0)
        continue;               /* the daemon's own */
      totals[key] = (totals[key] || 0) + metrics.counters[key];
    }
    for (var g in metrics.gauges)
      gauges[g] = metrics.gauges[g];
    fs.writeFileSync(file + '.tmp', JSON.stringify({ counters: totals, gauges: gauges }));
    fs.renameSync(file + '.tmp', file);
  });
  return true;
};
