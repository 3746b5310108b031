using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace ContinualTrainer.Engine.IO;

/// <summary>
/// A read-only, memory-mapped safetensors file (the Hugging Face weight format): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON describing each tensor, then the data buffer. <see cref="Open"/>
/// validates the whole header against the file before mapping it, so a hostile file is refused with a
/// <see cref="SafeTensorsFormatException"/> instead of crashing, hanging or over-allocating.
/// Reads may run concurrently; spans from <see cref="GetBytes"/> are valid only until <see cref="Dispose"/>.
/// The file must not be truncated in place while open (<see cref="SafeTensorsWriter"/> replaces files by rename,
/// which is safe). Little-endian hosts only.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Elements converted per step, so byte offsets never overflow a span's int length.</summary>
    private const int ChunkElements = 1 << 24;

    private readonly MemoryMappedFile map;
    private readonly MemoryMappedViewAccessor view;
    private readonly byte* data;
    private bool disposed;

    private SafeTensorsFile(
        string path,
        Dictionary<string, SafeTensorInfo> tensors,
        Dictionary<string, string> metadata,
        MemoryMappedFile map,
        MemoryMappedViewAccessor view,
        byte* data)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
        this.map = map;
        this.view = view;
        this.data = data;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Tensors by name (ordinal).</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens, validates and maps <paramref name="path"/>.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian host");
        var fullPath = System.IO.Path.GetFullPath(path);
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            var fileLength = stream.Length;
            if (fileLength < 8)
                throw new SafeTensorsFormatException(fullPath, null, $"file is {fileLength} bytes, shorter than the 8-byte header length");
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeaderLength)
                throw new SafeTensorsFormatException(fullPath, null, $"header length {headerLength} exceeds the {MaxHeaderLength}-byte limit");
            if ((long)headerLength > fileLength - 8)
                throw new SafeTensorsFormatException(fullPath, null, $"header length {headerLength} runs past the end of the {fileLength}-byte file");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            var dataStart = 8 + (long)headerLength;
            SafeTensorsHeaderParser.Parse(header, fileLength - dataStart, fullPath, out var tensors, out var metadata);

            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* basePointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
            return new SafeTensorsFile(fullPath, tensors, metadata, map, view, basePointer + view.PointerOffset + dataStart);
        }
        catch
        {
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The entry for <paramref name="name"/>; <see cref="KeyNotFoundException"/> naming the file otherwise.</summary>
    public SafeTensorInfo GetInfo(string name) =>
        Tensors.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{Path}: no tensor named '{SafeTensorsFormatException.Printable(name)}'");

    /// <summary>The tensor's raw little-endian bytes, straight from the mapping (no copy).</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = GetInfo(name);
        if (info.ByteLength > int.MaxValue)
            throw new InvalidOperationException(
                $"{Path}: tensor '{name}' is {info.ByteLength} bytes, more than one span can hold; read it with ReadFloat32 or ReadInt64");
        return Bytes(info.Begin, (int)info.ByteLength);
    }

    /// <summary>A new float32 array holding the tensor (F32, BF16 or F16 in the file).</summary>
    public float[] ReadFloat32(string name)
    {
        var info = GetInfo(name);
        var result = new float[CheckedArrayLength(info)];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>Converts the tensor (F32, BF16 or F16 in the file) to float32 into <paramref name="destination"/>.</summary>
    /// <param name="destination">(ElementCount) float32 out; its length must equal the element count.</param>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var info = GetInfo(name);
        CheckDestination(info, destination.Length);
        var size = info.DType switch
        {
            SafeTensorDType.F32 => 4,
            SafeTensorDType.BF16 or SafeTensorDType.F16 => 2,
            _ => throw new SafeTensorsFormatException(Path, name, $"has dtype {info.DType.HeaderName()}; float32 reads need F32, BF16 or F16"),
        };
        for (var start = 0; start < destination.Length; start += ChunkElements)
        {
            var count = Math.Min(ChunkElements, destination.Length - start);
            var src = Bytes(info.Begin + (long)start * size, count * size);
            var dst = destination.Slice(start, count);
            switch (info.DType)
            {
                case SafeTensorDType.F32: src.CopyTo(MemoryMarshal.AsBytes(dst)); break;
                case SafeTensorDType.BF16: HalfPrecision.BFloat16ToSingle(dst, src); break;
                default: HalfPrecision.HalfToSingle(dst, src); break;
            }
        }
    }

    /// <summary>A new array holding an I64 tensor (e.g. token ids).</summary>
    public long[] ReadInt64(string name)
    {
        var info = GetInfo(name);
        var result = new long[CheckedArrayLength(info)];
        ReadInt64(name, result);
        return result;
    }

    /// <summary>Copies an I64 tensor into <paramref name="destination"/>, whose length must equal the element count.</summary>
    public void ReadInt64(string name, Span<long> destination)
    {
        var info = GetInfo(name);
        CheckDestination(info, destination.Length);
        if (info.DType != SafeTensorDType.I64)
            throw new SafeTensorsFormatException(Path, name, $"has dtype {info.DType.HeaderName()}; int64 reads need I64");
        for (var start = 0; start < destination.Length; start += ChunkElements)
        {
            var count = Math.Min(ChunkElements, destination.Length - start);
            Bytes(info.Begin + (long)start * 8, count * 8).CopyTo(MemoryMarshal.AsBytes(destination.Slice(start, count)));
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
    }

    /// <summary>Bytes [offset, offset + count) of the data buffer; the header check guarantees they are in the file.</summary>
    private ReadOnlySpan<byte> Bytes(long offset, int count)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return new ReadOnlySpan<byte>(data + offset, count);
    }

    private int CheckedArrayLength(SafeTensorInfo info) =>
        info.ElementCount <= Array.MaxLength
            ? (int)info.ElementCount
            : throw new InvalidOperationException($"{Path}: tensor '{info.Name}' has {info.ElementCount} elements, more than one array can hold");

    private void CheckDestination(SafeTensorInfo info, int length)
    {
        if (length != info.ElementCount)
            throw new ArgumentException(
                $"{Path}: tensor '{info.Name}' has {info.ElementCount} elements {SafeTensorInfo.FormatShape(info.Shape)}, destination holds {length}");
    }
}
