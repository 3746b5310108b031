using System.Globalization;
using System.Xml.Linq;

namespace ContinualTrainer.Demo;

/// <summary>
/// A line chart as a standalone SVG document, written by hand: panels side by side under a title and one legend,
/// each panel with a framed plot area, "nice" ticks (1, 2 or 5 × 10^k) on both axes whose range holds every point
/// and reference line, light grid lines, axis labels, the series as polylines with point markers, and dashed
/// reference lines. Elements carry classes (<c>panel</c>, <c>plot-area</c>, <c>series</c>, <c>legend</c>,
/// <c>x-tick</c>, <c>y-tick</c>, <c>guide</c>) and <c>data-panel</c> / <c>data-series</c> so the picture can be checked.
/// </summary>
public static class SvgChart
{
    public const double PanelWidth = 480;
    public const double PanelHeight = 360;
    private const double Header = 64;                      // title and legend above the panels
    private const double Left = 72, Right = 20, Top = 36, Bottom = 52;
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public static string Render(string title, IReadOnlyList<ChartPanel> panels)
    {
        if (panels.Count == 0) throw new ArgumentException("a chart needs at least one panel", nameof(panels));
        var width = PanelWidth * panels.Count;
        var height = Header + PanelHeight;
        var root = new XElement(Svg + "svg",
            new XAttribute("width", F(width)), new XAttribute("height", F(height)),
            new XAttribute("viewBox", $"0 0 {F(width)} {F(height)}"),
            new XAttribute("font-family", "DejaVu Sans, Arial, sans-serif"), new XAttribute("font-size", "12"),
            new XElement(Svg + "rect", new XAttribute("width", F(width)), new XAttribute("height", F(height)), new XAttribute("fill", "white")),
            Text(width / 2, 22, title, "middle", "title", ("font-size", "16"), ("font-weight", "bold")),
            Legend(panels, width));
        for (var i = 0; i < panels.Count; i++) root.Add(Panel(panels[i], PanelWidth * i, Header));
        return root.ToString();
    }

    /// <summary>Ticks every 1, 2 or 5 × 10^k covering [<paramref name="min"/>, <paramref name="max"/>], about <paramref name="target"/> of them.</summary>
    public static double[] NiceTicks(double min, double max, int target = 6)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max) throw new ArgumentException($"no ticks for the range [{min}, {max}]");
        if (max == min)
        {
            var pad = min == 0 ? 1 : Math.Abs(min) * 0.05;
            (min, max) = (min - pad, max + pad);
        }
        var step = NiceStep((max - min) / Math.Max(1, target - 1));
        var first = Math.Floor(min / step);
        var last = Math.Ceiling(max / step);
        return [.. Enumerable.Range(0, (int)(last - first) + 1).Select(i => Math.Round((first + i) * step, 12))];
    }

    private static double NiceStep(double raw)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        return (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude;
    }

    private static XElement Legend(IReadOnlyList<ChartPanel> panels, double width)
    {
        var entries = panels.SelectMany(p => p.Series).DistinctBy(s => s.Name).ToList();
        var legend = new XElement(Svg + "g", new XAttribute("class", "legend"));
        const double entryWidth = 260;
        var x = width / 2 - entryWidth * entries.Count / 2;
        foreach (var series in entries)
        {
            legend.Add(new XElement(Svg + "line", new XAttribute("x1", F(x)), new XAttribute("y1", "44"), new XAttribute("x2", F(x + 28)), new XAttribute("y2", "44"),
                new XAttribute("stroke", series.Color), new XAttribute("stroke-width", "3"), new XAttribute("data-series", series.Name)));
            legend.Add(Text(x + 36, 48, series.Name, "start", "legend-label"));
            x += entryWidth;
        }
        return legend;
    }

    private static XElement Panel(ChartPanel panel, double originX, double originY)
    {
        var points = panel.Series.SelectMany(s => s.Points).ToList();
        if (points.Count == 0) throw new ArgumentException($"chart panel '{panel.Key}' has no points");
        var ys = points.Select(p => p.Y).Concat(panel.Guides.Select(g => g.Y)).ToList();
        var xTicks = NiceTicks(points.Min(p => p.X), points.Max(p => p.X));
        var yTicks = NiceTicks(ys.Min(), ys.Max());
        var (plotX, plotY) = (originX + Left, originY + Top);
        var (plotW, plotH) = (PanelWidth - Left - Right, PanelHeight - Top - Bottom);
        double X(double x) => plotX + (x - xTicks[0]) / (xTicks[^1] - xTicks[0]) * plotW;
        double Y(double y) => plotY + plotH - (y - yTicks[0]) / (yTicks[^1] - yTicks[0]) * plotH;

        var group = new XElement(Svg + "g", new XAttribute("class", "panel"), new XAttribute("data-panel", panel.Key),
            Text(plotX + plotW / 2, originY + 20, panel.Title, "middle", "panel-title", ("font-size", "14"), ("font-weight", "bold")));
        foreach (var tick in yTicks)
        {
            group.Add(Line(plotX, Y(tick), plotX + plotW, Y(tick), "#e3e3e3", "grid"));
            group.Add(Text(plotX - 6, Y(tick) + 4, Label(tick, yTicks), "end", "y-tick"));
        }
        foreach (var tick in xTicks)
        {
            group.Add(Line(X(tick), plotY, X(tick), plotY + plotH, "#f0f0f0", "grid"));
            group.Add(Text(X(tick), plotY + plotH + 16, Label(tick, xTicks), "middle", "x-tick"));
        }
        group.Add(new XElement(Svg + "rect", new XAttribute("class", "plot-area"),
            new XAttribute("x", F(plotX)), new XAttribute("y", F(plotY)), new XAttribute("width", F(plotW)), new XAttribute("height", F(plotH)),
            new XAttribute("fill", "none"), new XAttribute("stroke", "#555")));
        group.Add(Text(plotX + plotW / 2, plotY + plotH + 38, panel.XLabel, "middle", "x-label"));
        var yLabel = Text(0, 0, panel.YLabel, "middle", "y-label");
        yLabel.Add(new XAttribute("transform", $"translate({F(originX + 18)} {F(plotY + plotH / 2)}) rotate(-90)"));
        group.Add(yLabel);
        foreach (var guide in panel.Guides)
        {
            var line = Line(plotX, Y(guide.Y), plotX + plotW, Y(guide.Y), "#777", "guide");
            line.Add(new XAttribute("stroke-dasharray", "6 4"));
            group.Add(line);
            group.Add(Text(plotX + plotW - 4, Y(guide.Y) - 5, guide.Label, "end", "guide-label", ("fill", "#555")));
        }
        foreach (var series in panel.Series)
        {
            var line = new XElement(Svg + "g", new XAttribute("data-series", series.Name),
                new XElement(Svg + "polyline", new XAttribute("class", "series"), new XAttribute("data-series", series.Name),
                    new XAttribute("points", string.Join(' ', series.Points.Select(p => $"{F(X(p.X))},{F(Y(p.Y))}"))),
                    new XAttribute("fill", "none"), new XAttribute("stroke", series.Color), new XAttribute("stroke-width", "2.5"),
                    new XAttribute("stroke-linejoin", "round")));
            foreach (var (x, y) in series.Points)
                line.Add(new XElement(Svg + "circle", new XAttribute("cx", F(X(x))), new XAttribute("cy", F(Y(y))), new XAttribute("r", "3"), new XAttribute("fill", series.Color)));
            group.Add(line);
        }
        return group;
    }

    private static string Label(double tick, double[] ticks)
    {
        var step = ticks.Length > 1 ? ticks[1] - ticks[0] : 1;
        var decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 6);
        return tick.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static XElement Line(double x1, double y1, double x2, double y2, string color, string cssClass) =>
        new(Svg + "line", new XAttribute("class", cssClass), new XAttribute("x1", F(x1)), new XAttribute("y1", F(y1)),
            new XAttribute("x2", F(x2)), new XAttribute("y2", F(y2)), new XAttribute("stroke", color));

    private static XElement Text(double x, double y, string text, string anchor, string cssClass, params (string Name, string Value)[] style)
    {
        var element = new XElement(Svg + "text", new XAttribute("class", cssClass), new XAttribute("x", F(x)), new XAttribute("y", F(y)),
            new XAttribute("text-anchor", anchor), text);
        foreach (var (name, value) in style) element.Add(new XAttribute(name, value));
        return element;
    }

    private static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
