namespace ContinualTrainer.Demo;

/// <summary>One plot of an <see cref="SvgChart"/>: a title, axis labels, its lines and its reference lines.</summary>
/// <param name="Key">Identifies the panel in the SVG (<c>data-panel</c>).</param>
public sealed record ChartPanel(string Key, string Title, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series, IReadOnlyList<ChartGuide> Guides);
