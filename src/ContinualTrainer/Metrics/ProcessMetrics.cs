using System.Diagnostics;
using System.Globalization;
using ContinualTrainer.Cli;
using ContinualTrainer.Engine;

namespace ContinualTrainer.Metrics;

/// <summary>
/// Figures every Prometheus target is expected to have: <c>build_info</c>, CPU seconds, resident memory,
/// start time, and the .NET garbage collector's counts, heap and pause time — read at scrape time.
/// </summary>
public static class ProcessMetrics
{
    public static void Register(MetricsRegistry registry, string prefix)
    {
        registry.Gauge(prefix + "build_info", "Build of the running daemon (value 1); versions in the labels", "version", "engine_version", "runtime")
            .WithLabels(VersionCommand.ProgramVersion, EngineInfo.Version, Environment.Version.ToString()).Set(1);
        registry.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds")
            .Observe(() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
        registry.Gauge("process_resident_memory_bytes", "Resident memory size in bytes")
            .Observe(() => Environment.WorkingSet);
        var start = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        registry.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds").Observe(() => start);
        registry.Gauge(prefix + "dotnet_gc_heap_bytes", "Bytes of the managed heap after the last garbage collection")
            .Observe(() => GC.GetGCMemoryInfo().HeapSizeBytes);
        registry.Counter(prefix + "dotnet_gc_pause_seconds_total", "Time the garbage collector paused the process, in seconds")
            .Observe(() => GC.GetTotalPauseDuration().TotalSeconds);
        registry.Counter(prefix + "dotnet_allocated_bytes_total", "Bytes allocated on the managed heap since the process started")
            .Observe(() => GC.GetTotalAllocatedBytes());
        var collections = registry.Counter(prefix + "dotnet_gc_collections_total", "Garbage collections since the process started, by generation", "generation");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            var g = generation;
            collections.WithLabels(g.ToString(CultureInfo.InvariantCulture)).Observe(() => GC.CollectionCount(g));
        }
    }
}
