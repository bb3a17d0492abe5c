/* inj_graph.h: `scope metrics --graph NAME`: one metric over the session
 * as a text chart: a column per period (periods averaged into at most
 * INJ_GRAPH_WIDTH columns), INJ_GRAPH_HEIGHT rows of '#'. Counters are
 * drawn as their rate (per second over each period), gauges as their
 * value, histograms and timers as their mean; lines of one period (several
 * files, processes) are added, means averaged. */
#ifndef INJ_GRAPH_H
#define INJ_GRAPH_H

#include "inj_cli.h"

#define INJ_GRAPH_WIDTH 60
#define INJ_GRAPH_HEIGHT 10

/* Exit status: 0, or 1 when the session has no line of the metric. */
int inj_graph_show(const struct inj_show_opts *o);

#endif
