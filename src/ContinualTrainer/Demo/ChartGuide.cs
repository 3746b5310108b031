namespace ContinualTrainer.Demo;

/// <summary>A labelled horizontal reference line of a <see cref="ChartPanel"/> (e.g. the guard's limit), at <paramref name="Y"/> in data units.</summary>
public sealed record ChartGuide(string Label, double Y);
