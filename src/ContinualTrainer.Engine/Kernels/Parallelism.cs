using ContinualTrainer.Engine.Blas;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// How many threads the engine's kernels spread their rows/heads over (default: every core). Kernels
/// split work only when it is big enough to pay for the hand-off; matrix products use the BLAS's own
/// threads instead (<see cref="Gemm.SetThreads"/>), never a parallel loop around a threaded product.
/// </summary>
public static class Parallelism
{
    /// <summary>Below this many floats of work a kernel stays on the calling thread.</summary>
    public const long MinParallelWork = 1L << 15;

    private static ParallelOptions options = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Threads a kernel may use.</summary>
    public static int Threads => options.MaxDegreeOfParallelism;

    /// <summary>Sets the threads of the kernels and of the matrix product together.</summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Gemm.SetThreads(threads);
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over contiguous ranges covering [0, count): one range per
    /// thread when count * workPerItem is at least <see cref="MinParallelWork"/>, else one range inline.
    /// </summary>
    public static void ForRanges(int count, long workPerItem, Action<int, int> body)
    {
        var parts = (long)count * workPerItem >= MinParallelWork ? Math.Min(Threads, count) : 1;
        if (parts <= 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        var chunk = (count + parts - 1) / parts;
        Parallel.For(0, parts, options, part =>
        {
            var start = part * chunk;
            body(start, Math.Min(count, start + chunk));
        });
    }

    /// <summary>Runs <paramref name="body"/>(worker) once on each of <paramref name="workers"/> threads.</summary>
    public static void ForWorkers(int workers, Action<int> body)
    {
        if (workers <= 1) body(0);
        else Parallel.For(0, workers, options, body);
    }
}
