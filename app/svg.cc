#include "app/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "text/escape.h"

namespace gc::svg {
namespace {

constexpr double kWidth = 520;  // viewBox units; text stays about 11 px in a 460 px card
constexpr const char* kInk = "#374151";    // axis text
constexpr const char* kGrid = "#e5e7eb";   // grid lines
constexpr const char* kMarkInk = "#111827";

// Coordinates with one decimal at most: enough for a 600-unit viewBox, and a small file.
std::string N(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

std::string Open(double height, const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 " + N(kWidth) + " " +
         N(height) + "\" font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"12\"><title>" +
         HtmlText(title) + "</title>";
}

std::string Text(double x, double y, const std::string& text, const char* anchor = "start",
                 const char* extra = "") {
  return "<text x=\"" + N(x) + "\" y=\"" + N(y) + "\" text-anchor=\"" + anchor + "\" fill=\"" + kInk + "\"" + extra +
         ">" + HtmlText(text, 80) + "</text>";
}

std::string Rect(double x, double y, double w, double h, const std::string& fill, const char* extra = "") {
  return "<rect x=\"" + N(x) + "\" y=\"" + N(y) + "\" width=\"" + N(std::max(w, 0.0)) + "\" height=\"" +
         N(std::max(h, 0.0)) + "\" fill=\"" + HtmlAttr(fill) + "\"" + extra + "/>";
}

std::string Line(double x1, double y1, double x2, double y2, const char* stroke, const char* extra = "") {
  return "<line x1=\"" + N(x1) + "\" y1=\"" + N(y1) + "\" x2=\"" + N(x2) + "\" y2=\"" + N(y2) + "\" stroke=\"" +
         stroke + "\"" + extra + "/>";
}

// The smallest 1, 2 or 5 times a power of ten that is >= x; 1 for x <= 0.
double NiceStep(double x) {
  if (!(x > 0)) return 1;
  double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * p >= x * (1 - 1e-9)) return m * p;
  }
  return 10 * p;
}

struct Plot {
  double left, top, width, height;
  double ymax;
  double Y(double v) const { return top + height - (ymax > 0 ? v / ymax * height : 0); }
};

// Horizontal grid lines and y tick labels: 0 to a nice maximum at or above `max`, about four steps.
std::string YAxis(Plot& p, double max, const std::string& y_label) {
  double step = NiceStep(std::max(max, 1e-9) / 4);
  if (max <= 0) step = 1;
  p.ymax = std::max(step, std::ceil(max / step - 1e-9) * step);
  std::string s;
  for (int i = 0; i * step <= p.ymax + step * 1e-6 && i < 12; ++i) {
    double y = p.Y(i * step);
    s += Line(p.left, y, p.left + p.width, y, kGrid);
    s += Text(p.left - 6, y + 4, AxisNumber(i * step), "end");
  }
  if (!y_label.empty()) {
    double cy = p.top + p.height / 2;
    s += Text(12, cy, y_label, "middle", (" transform=\"rotate(-90 12 " + N(cy) + ")\"").c_str());
  }
  return s;
}

std::string NoData(const std::string& title) {
  return Open(48, title) + Text(kWidth / 2, 28, "no data", "middle") + "</svg>";
}

std::string TimeLabel(double seconds) {
  char buf[32];
  if (seconds == 0) return "0";
  if (seconds < 1) {
    std::snprintf(buf, sizeof buf, "%g s", std::round(seconds * 1000) / 1000);
  } else if (seconds < 120) {
    std::snprintf(buf, sizeof buf, "%g s", std::round(seconds * 10) / 10);
  } else if (seconds < 7200) {
    std::snprintf(buf, sizeof buf, "%g min", std::round(seconds / 6) / 10);
  } else {
    std::snprintf(buf, sizeof buf, "%g h", std::round(seconds / 360) / 10);
  }
  return buf;
}

}  // namespace

std::string AxisNumber(double v) {
  char buf[32];
  double a = std::fabs(v);
  if (a >= 1e9) {
    std::snprintf(buf, sizeof buf, "%gG", std::round(v / 1e8) / 10);
  } else if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%gM", std::round(v / 1e5) / 10);
  } else if (a >= 1e4) {
    std::snprintf(buf, sizeof buf, "%gk", std::round(v / 1e2) / 10);
  } else {
    std::snprintf(buf, sizeof buf, "%g", std::round(v * 1000) / 1000);
  }
  return buf;
}

std::string BarChart(const std::string& title, const std::vector<Bar>& bars) {
  if (bars.empty()) return NoData(title);
  constexpr double kRow = 26, kLabel = 150, kValueRoom = 120;
  double max = 0;
  for (const auto& b : bars) max = std::max(max, b.value);
  double height = kRow * double(bars.size()) + 8;
  std::string s = Open(height, title);
  double area = kWidth - kLabel - 10 - kValueRoom;
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    double y = 4 + kRow * double(i);
    double w = max > 0 ? b.value / max * area : 0;
    if (b.value > 0) w = std::max(w, 2.0);
    s += "<g><title>" + HtmlText(b.label + ": " + b.value_text) + "</title>";
    s += Text(kLabel, y + 13 + 4, b.label, "end");
    s += Rect(kLabel + 10, y + 3, w, kRow - 8, b.color, " rx=\"3\"");
    s += Text(kLabel + 10 + w + 6, y + 13 + 4, b.value_text);
    s += "</g>";
  }
  return s + "</svg>";
}

std::string Histogram(const HistogramSpec& spec) {
  if (spec.buckets.empty()) return NoData(spec.title);
  constexpr double kHeight = 250;
  double top = 10 + 15 * double(spec.marks.size());
  Plot p{56, top, kWidth - 56 - 20, kHeight - top - 46, 0};
  double max = 0;
  for (const auto& b : spec.buckets) max = std::max(max, b.count);
  std::string s = Open(kHeight, spec.title);
  s += YAxis(p, max, spec.y_label);
  size_t n = spec.buckets.size();
  double bw = p.width / double(n);
  double gap = std::min(2.0, bw * 0.15);
  size_t every = std::max<size_t>(1, (n + 7) / 8);  // at most about eight x labels
  for (size_t i = 0; i < n; ++i) {
    const auto& b = spec.buckets[i];
    double x = p.left + bw * double(i);
    double y = p.Y(b.count);
    s += "<g><title>" + HtmlText(b.tip) + "</title>";
    s += Rect(x + gap / 2, y, bw - gap, p.top + p.height - y, b.color.empty() ? spec.color : b.color);
    s += "</g>";
    if (i % every == 0 && !b.label.empty()) {
      s += Line(x, p.top + p.height, x, p.top + p.height + 4, kInk);
      s += Text(x, p.top + p.height + 17, b.label, "middle");
    }
  }
  if (!spec.end_label.empty() && n % every == 0) {
    double x = p.left + p.width;
    s += Line(x, p.top + p.height, x, p.top + p.height + 4, kInk);
    s += Text(x, p.top + p.height + 17, spec.end_label, "middle");
  }
  s += Line(p.left, p.top + p.height, p.left + p.width, p.top + p.height, kInk);
  if (!spec.x_label.empty()) s += Text(p.left + p.width / 2, kHeight - 6, spec.x_label, "middle");
  // Marks: a dashed line through the plot, its label on its own row above it so that close marks
  // (p90 and p99 often are) never overlap.
  for (size_t i = 0; i < spec.marks.size(); ++i) {
    const auto& m = spec.marks[i];
    double x = p.left + std::clamp(m.at, 0.0, double(n)) * bw;
    double label_y = 12 + 15 * double(i);
    s += "<g>";
    s += Line(x, label_y + 3, x, p.top + p.height, kMarkInk, " stroke-dasharray=\"4 3\" stroke-width=\"1.2\"");
    bool right_half = x > p.left + p.width * 0.7;
    s += "<text x=\"" + N(right_half ? x - 4 : x + 4) + "\" y=\"" + N(label_y + 2) + "\" text-anchor=\"" +
         (right_half ? "end" : "start") + "\" fill=\"" + kMarkInk + "\" font-weight=\"600\">" + HtmlText(m.label) +
         "</text>";
    s += "</g>";
  }
  return s + "</svg>";
}

std::string TimeSeries(const std::string& title, double step_s, const std::vector<Series>& series,
                       const std::string& y_label) {
  size_t n = series.empty() ? 0 : series[0].values.size();
  if (n == 0 || !(step_s > 0)) return NoData(title);
  constexpr double kHeight = 250;
  Plot p{56, 30, kWidth - 56 - 20, kHeight - 30 - 46, 0};
  std::vector<double> total(n, 0);
  for (const auto& se : series) {
    for (size_t i = 0; i < n && i < se.values.size(); ++i) total[i] += se.values[i];
  }
  double max = *std::max_element(total.begin(), total.end());
  std::string s = Open(kHeight, title);
  s += YAxis(p, max, y_label);
  double bw = p.width / double(n);
  double gap = std::min(1.5, bw * 0.15);
  for (size_t i = 0; i < n; ++i) {
    std::string tip = TimeLabel(step_s * double(i)) + " to " + TimeLabel(step_s * double(i + 1)) + ":";
    for (const auto& se : series) tip += " " + AxisNumber(i < se.values.size() ? se.values[i] : 0) + " " + se.name + ",";
    tip.pop_back();
    s += "<g><title>" + HtmlText(tip) + "</title>";
    double base = 0;
    for (const auto& se : series) {
      double v = i < se.values.size() ? se.values[i] : 0;
      if (v > 0) {
        double y0 = p.Y(base), y1 = p.Y(base + v);
        s += Rect(p.left + bw * double(i) + gap / 2, y1, bw - gap, y0 - y1, se.color);
      }
      base += v;
    }
    s += "</g>";
  }
  // Time ticks at a round interval that is a whole number of steps, about six of them.
  double span = step_s * double(n);
  double tick = std::max(step_s, NiceStep(span / 6));
  tick = std::round(tick / step_s) * step_s;
  for (int k = 0; k * tick <= span + 1e-9 && k < 20; ++k) {
    double x = p.left + (k * tick / step_s) * bw;
    s += Line(x, p.top + p.height, x, p.top + p.height + 4, kInk);
    s += Text(x, p.top + p.height + 17, TimeLabel(k * tick), "middle");
  }
  s += Line(p.left, p.top + p.height, p.left + p.width, p.top + p.height, kInk);
  s += Text(p.left + p.width / 2, kHeight - 6, "time since the first fetch", "middle");
  // Legend, top right.
  double x = p.left + p.width;
  for (size_t i = series.size(); i-- > 0;) {
    double w = 8.0 * double(series[i].name.size()) + 22;
    x -= w;
    s += Rect(x, 8, 12, 12, series[i].color, " rx=\"2\"");
    s += Text(x + 16, 18, series[i].name);
  }
  return s + "</svg>";
}

}  // namespace gc::svg
