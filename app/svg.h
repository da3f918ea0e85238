// The report's own small SVG chart writer: horizontal bar charts, histograms with marked values (the
// caller picks linear or log-spaced buckets) and stacked columns over time. Each function returns one
// complete inline <svg> element: a viewBox (it scales to its container), a <title> as its text
// alternative (the caller writes the summary a screen reader should hear), a <title> on every bar for
// hover, all text escaped, no script and no external reference. Pure functions, any thread.
#pragma once

#include <string>
#include <vector>

namespace gc::svg {

struct Bar {
  std::string label;
  double value = 0;
  std::string value_text;  // shown at the bar's end, e.g. "1,204 (93%)"
  std::string color;       // CSS colour, from the caller's palette (never from data)
};

// One row per bar, longest bar scaled to the width.
std::string BarChart(const std::string& title, const std::vector<Bar>& bars);

struct Bucket {
  std::string label;  // written under the bucket's left edge when there is room ("" for none)
  double count = 0;
  std::string tip;    // hover text, e.g. "100-200 ms: 42"
  std::string color;  // "" for the histogram's colour
};

struct Mark {
  std::string label;  // e.g. "p90 212 ms"
  double at = 0;      // position in bucket units: 2.5 is the middle of the third bucket
};

struct HistogramSpec {
  std::string title;
  std::vector<Bucket> buckets;
  std::string end_label;  // under the right edge of the last bucket ("" for none)
  std::vector<Mark> marks;
  std::string x_label, y_label;
  std::string color;
};

std::string Histogram(const HistogramSpec& spec);

struct Series {
  std::string name, color;
  std::vector<double> values;  // one per step; all series the same length
};

// Stacked columns, series[0] at the bottom; x is time from 0 in `step_s` steps, labelled in s/min/h.
std::string TimeSeries(const std::string& title, double step_s, const std::vector<Series>& series,
                       const std::string& y_label);

// "0.5", "12", "1.2k"... compact axis numbers.
std::string AxisNumber(double v);

}  // namespace gc::svg
