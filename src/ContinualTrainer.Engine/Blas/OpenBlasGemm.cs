using System.Runtime.InteropServices;

namespace ContinualTrainer.Engine.Blas;

/// <summary>
/// <c>cblas_sgemm</c> from a system OpenBLAS (or any CBLAS), located at run time among
/// <see cref="Candidates"/> and bound through function pointers. Its thread count is set with
/// <c>openblas_set_num_threads</c> when the library has it.
/// </summary>
public sealed unsafe class OpenBlasGemm : IGemmProvider
{
    /// <summary>Library names and paths tried in order.</summary>
    public static readonly IReadOnlyList<string> Candidates =
    [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so",
        "libblas.so.3",
    ];

    private const int CblasRowMajor = 101;
    private const int CblasNoTrans = 111;
    private const int CblasTrans = 112;

    private readonly delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
    private readonly delegate* unmanaged[Cdecl]<int, void> setNumThreads;
    private readonly delegate* unmanaged[Cdecl]<int> getNumThreads;

    private OpenBlasGemm(nint sgemmExport, nint setThreadsExport, nint getThreadsExport, string description)
    {
        sgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemmExport;
        setNumThreads = (delegate* unmanaged[Cdecl]<int, void>)setThreadsExport;
        getNumThreads = (delegate* unmanaged[Cdecl]<int>)getThreadsExport;
        Description = description;
    }

    public string Description { get; }

    public int Threads => getNumThreads != null ? getNumThreads() : 1;

    public void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (setNumThreads != null) setNumThreads(threads);
    }

    public void Sgemm(BlasTranspose transA, BlasTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        sgemm(CblasRowMajor, transA == BlasTranspose.None ? CblasNoTrans : CblasTrans,
            transB == BlasTranspose.None ? CblasNoTrans : CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Loads the first candidate library exporting <c>cblas_sgemm</c>; null when none does.</summary>
    public static OpenBlasGemm? TryLoad()
    {
        foreach (var name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var sgemmExport))
            {
                NativeLibrary.Free(handle);
                continue;
            }
            NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var setThreads);
            NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out var getThreads);
            return new OpenBlasGemm(sgemmExport, setThreads, getThreads, Describe(handle, sgemmExport, name));
        }
        return null;
    }

    // "OpenBLAS 0.3.21 (pthread; DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64) via /usr/lib/.../libopenblas.so.0"
    private static string Describe(nint handle, nint sgemmExport, string name)
    {
        var path = LoadedPath(sgemmExport) ?? name;
        if (!NativeLibrary.TryGetExport(handle, "openblas_get_config", out var getConfig)) return $"CBLAS via {path}";
        var config = Marshal.PtrToStringUTF8(((delegate* unmanaged[Cdecl]<nint>)getConfig)()) ?? "OpenBLAS";
        var words = config.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        var version = words.Length >= 2 ? $"{words[0]} {words[1]}" : config;
        var details = words.Length == 3 ? words[2] : "";
        var mode = "";
        if (NativeLibrary.TryGetExport(handle, "openblas_get_parallel", out var getParallel))
        {
            mode = ((delegate* unmanaged[Cdecl]<int>)getParallel)() switch { 0 => "sequential", 1 => "pthread", 2 => "openmp", _ => "" };
        }
        var inner = string.Join("; ", new[] { mode, details }.Where(s => s.Length > 0));
        return inner.Length > 0 ? $"{version} ({inner}) via {path}" : $"{version} via {path}";
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public nint FileName;
        public nint FileBase;
        public nint SymbolName;
        public nint SymbolAddress;
    }

    [DllImport("libc.so.6", EntryPoint = "dladdr")]
    private static extern int DlAddr(nint address, out DlInfo info);

    // The file the dynamic loader actually mapped (dladdr), or null where that cannot be asked.
    private static string? LoadedPath(nint symbol)
    {
        try
        {
            return DlAddr(symbol, out var info) != 0 && info.FileName != 0 ? Marshal.PtrToStringUTF8(info.FileName) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
