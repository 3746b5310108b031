namespace ContinualTrainer.Demo;

/// <summary>One line of a <see cref="ChartPanel"/>: its legend name, its colour (any SVG colour) and its points in data units.</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points);
