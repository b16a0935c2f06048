/* SPDX-License-Identifier: MIT */
/*
 * plot.c - latency distributions as an SVG a browser shows: one row per
 * series on a shared logarithmic axis, the whisker from the 1st to the 99th
 * percentile, the box from the 25th to the 75th, a bar at the median and
 * dots at the 10th and 90th.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define PLOT_W      820.0
#define PLOT_LEFT   190.0 /* series names */
#define PLOT_RIGHT  40.0
#define PLOT_TOP    70.0
#define PLOT_ROW    46.0
#define PLOT_BOTTOM 70.0

/* @s into @f with XML's five characters escaped. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

/* The axis's decades [*lo, *hi] (powers of ten, in us) around every value. */
static void plot_range(const struct cli_series *s, int n, int *lo, int *hi)
{
	double min = INFINITY, max = 0;

	for (int i = 0; i < n; i++)
		for (int k = 0; k < CLI_QUANTILES; k++)
			if (s[i].q[k] > 0) {
				min = s[i].q[k] < min ? s[i].q[k] : min;
				max = s[i].q[k] > max ? s[i].q[k] : max;
			}
	if (max <= 0) {
		*lo = -1;
		*hi = 1;
		return;
	}
	*lo = (int)floor(log10(min));
	*hi = (int)ceil(log10(max));
	if (*hi <= *lo)
		*hi = *lo + 1;
}

static double plot_x(double us, int lo, int hi)
{
	double span = PLOT_W - PLOT_LEFT - PLOT_RIGHT;

	if (us <= 0)
		return PLOT_LEFT;
	return PLOT_LEFT + (log10(us) - lo) / (hi - lo) * span;
}

static void plot_decade_label(int e, char *buf, size_t len)
{
	if (e >= 3)
		snprintf(buf, len, "%g ms", pow(10, e - 3));
	else
		snprintf(buf, len, "%g us", pow(10, e));
}

int cli_plot_svg(const char *path, const char *title, const char *note, const struct cli_series *s,
		 int n)
{
	FILE *f = fopen(path, "w");
	int lo, hi, rows = 0;
	char label[32];

	if (!f) {
		fprintf(stderr, "mkrt: cannot write %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	for (int i = 0; i < n; i++)
		rows += s[i].q[CLI_QUANTILES / 2] > 0;
	plot_range(s, n, &lo, &hi);
	double h = PLOT_TOP + PLOT_ROW * (rows ? rows : 1) + PLOT_BOTTOM;
	double axis_y = PLOT_TOP + PLOT_ROW * (rows ? rows : 1);

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		   "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"13\">\n",
		PLOT_W, h, PLOT_W, h);
	fprintf(f, "<title>");
	xml_text(f, title);
	fprintf(f, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%.0f\" y=\"28\" font-size=\"16\" font-weight=\"bold\">", PLOT_LEFT - 170);
	xml_text(f, title);
	fprintf(f, "</text>\n<text x=\"%.0f\" y=\"48\" fill=\"#555\">", PLOT_LEFT - 170);
	xml_text(f, note);
	fprintf(f, "</text>\n");
	/* the decades: a grid line and a label each */
	for (int e = lo; e <= hi; e++) {
		double x = plot_x(pow(10, e), lo, hi);
		plot_decade_label(e, label, sizeof(label));
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>\n", x,
			PLOT_TOP - 10, x, axis_y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", x, axis_y + 18,
			label);
	}
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#555\">latency (log scale); "
		   "whisker p1-p99, box p25-p75, bar p50, dots p10 and p90</text>\n",
		(PLOT_LEFT + PLOT_W - PLOT_RIGHT) / 2, axis_y + 44);
	int row = 0;
	for (int i = 0; i < n; i++) {
		const double *q = s[i].q; /* p1 p10 p25 p50 p75 p90 p99 */
		if (q[3] <= 0)
			continue; /* not measured on this backend */
		double y = PLOT_TOP + PLOT_ROW * row++ + PLOT_ROW / 2;
		fprintf(f, "<g><title>");
		xml_text(f, s[i].name);
		fprintf(f, ": p50 %.3f us, p1 %.3f us, p99 %.3f us</title>\n", q[3], q[0], q[6]);
		fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", PLOT_LEFT - 12, y + 4);
		xml_text(f, s[i].name);
		fprintf(f, "</text>\n");
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
			plot_x(q[0], lo, hi), y, plot_x(q[6], lo, hi), y);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\" "
			   "stroke=\"#333\"/>\n",
			plot_x(q[2], lo, hi), y - 8, plot_x(q[4], lo, hi) - plot_x(q[2], lo, hi) + 0.5,
			s[i].color);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" "
			   "stroke-width=\"3\"/>\n",
			plot_x(q[3], lo, hi), y - 11, plot_x(q[3], lo, hi), y + 11);
		for (int k = 1; k <= 5; k += 4)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#333\"/>\n",
				plot_x(q[k], lo, hi), y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333\">%.3g us</text>\n</g>\n",
			plot_x(q[3], lo, hi) + 5, y - 12, q[3]);
	}
	fprintf(f, "</svg>\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "mkrt: cannot write %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	return CLI_OK;
}
