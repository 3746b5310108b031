namespace ContinualTrainer.Engine.Kernels;

/// <summary>Wall time and call count of one named kernel, accumulated by <see cref="KernelProfiler"/>.</summary>
public sealed record KernelTiming(string Name, double Seconds, long Calls);
