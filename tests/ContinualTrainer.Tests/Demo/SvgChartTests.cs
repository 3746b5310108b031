using System.Globalization;
using System.Xml.Linq;
using ContinualTrainer.Demo;

namespace ContinualTrainer.Tests.Demo;

public sealed class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static readonly (double X, double Y)[] Rising = [(0, 31.5), (10, 36.0), (20, 52.25), (30, 80.0)];
    private static readonly (double X, double Y)[] Flat = [(0, 31.5), (5, 31.6), (10, 31.4), (12, 31.7)];

    private static XElement Render(string firstName = "naive", string secondName = "defaults")
    {
        var svg = SvgChart.Render("Title & <subtitle>",
        [
            new ChartPanel("ppl", "Perplexity", "step", "perplexity",
                [new ChartSeries(firstName, "#d62728", Rising), new ChartSeries(secondName, "#1f63b4", Flat)], [new ChartGuide("limit", 95)]),
            new ChartPanel("loss", "Loss", "step", "loss",
                [new ChartSeries(firstName, "#d62728", [(0, 2.0), (30, 0.1)]), new ChartSeries(secondName, "#1f63b4", [(0, 2.0), (12, 1.2)])], []),
        ]);
        return XDocument.Parse(svg).Root!;
    }

    [Fact]
    public void Chart_is_well_formed_svg_with_both_series_in_every_panel_and_a_legend()
    {
        var root = Render("a < b & c", "defaults");

        Assert.Equal(Svg + "svg", root.Name);
        Assert.Equal("Title & <subtitle>", root.Elements(Svg + "text").Single(e => (string?)e.Attribute("class") == "title").Value);
        var panels = root.Elements(Svg + "g").Where(e => (string?)e.Attribute("class") == "panel").ToList();
        Assert.Equal(["ppl", "loss"], panels.Select(p => (string?)p.Attribute("data-panel")));
        foreach (var panel in panels)
        {
            var series = panel.Descendants(Svg + "polyline").Select(p => (string?)p.Attribute("data-series")).ToList();
            Assert.Equal(["a < b & c", "defaults"], series);
        }
        var legend = root.Elements(Svg + "g").Single(e => (string?)e.Attribute("class") == "legend");
        Assert.Equal(["a < b & c", "defaults"], legend.Elements(Svg + "text").Select(t => t.Value));
        var colors = legend.Elements(Svg + "line").Select(l => (string?)l.Attribute("stroke")).ToList();
        Assert.Equal(2, colors.Distinct().Count());
    }

    [Fact]
    public void Every_point_lies_inside_its_plot_area_and_markers_match_the_data()
    {
        var root = Render();
        var expected = new Dictionary<string, int> { ["ppl"] = Rising.Length + Flat.Length, ["loss"] = 4 };
        foreach (var panel in root.Descendants(Svg + "g").Where(e => (string?)e.Attribute("class") == "panel"))
        {
            var area = panel.Elements(Svg + "rect").Single(e => (string?)e.Attribute("class") == "plot-area");
            var (x, y, w, h) = (Number(area, "x"), Number(area, "y"), Number(area, "width"), Number(area, "height"));
            var points = panel.Descendants(Svg + "polyline")
                .SelectMany(p => ((string)p.Attribute("points")!).Split(' ').Select(pair => pair.Split(',').Select(Parse).ToArray()))
                .ToList();
            Assert.Equal(expected[(string)panel.Attribute("data-panel")!], points.Count);
            Assert.Equal(points.Count, panel.Descendants(Svg + "circle").Count());
            foreach (var point in points)
            {
                Assert.InRange(point[0], x - 0.05, x + w + 0.05);
                Assert.InRange(point[1], y - 0.05, y + h + 0.05);
            }
        }
    }

    [Fact]
    public void Tick_labels_span_every_value_and_reference_line()
    {
        var root = Render();
        var panel = root.Descendants(Svg + "g").Single(e => (string?)e.Attribute("data-panel") == "ppl");
        var yTicks = Labels(panel, "y-tick");
        var xTicks = Labels(panel, "x-tick");

        Assert.True(yTicks.Min() <= 31.4 && yTicks.Max() >= 95, $"y ticks {string.Join(", ", yTicks)}");
        Assert.True(xTicks.Min() <= 0 && xTicks.Max() >= 30, $"x ticks {string.Join(", ", xTicks)}");
        Assert.Equal("limit", panel.Elements(Svg + "text").Single(e => (string?)e.Attribute("class") == "guide-label").Value);
    }

    [Theory]
    [InlineData(0, 174)]
    [InlineData(287.6, 1336.1)]
    [InlineData(0.679, 12.03)]
    [InlineData(31.4, 31.7)]
    [InlineData(-3.5, 2.25)]
    [InlineData(5, 5)]
    public void Nice_ticks_are_evenly_spaced_round_steps_covering_the_range(double min, double max)
    {
        var ticks = SvgChart.NiceTicks(min, max);

        Assert.InRange(ticks.Length, 3, 12);
        Assert.True(ticks[0] <= min && ticks[^1] >= max, string.Join(", ", ticks));
        var step = ticks[1] - ticks[0];
        for (var i = 2; i < ticks.Length; i++) Assert.Equal(step, ticks[i] - ticks[i - 1], step * 1e-9);
        var mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
        Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 5.0 });
    }

    private static double[] Labels(XElement panel, string cssClass) =>
        [.. panel.Elements(Svg + "text").Where(e => (string?)e.Attribute("class") == cssClass).Select(e => Parse(e.Value))];

    private static double Number(XElement element, string attribute) => Parse((string)element.Attribute(attribute)!);

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
