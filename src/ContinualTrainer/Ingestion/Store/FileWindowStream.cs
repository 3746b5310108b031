namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// A read-only view of the first <see cref="Length"/> bytes of an open file, read positionally. A pass parses
/// through it so that it sees the file exactly as large as it was when the pass began (or as one batch of it),
/// however much an agent appends meanwhile.
/// </summary>
internal sealed class FileWindowStream(FileStream file, long length) : Stream
{
    private long position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; } = length;

    public override long Position
    {
        get => position;
        set => position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "must not be negative");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var available = Length - position;
        if (available <= 0 || buffer.IsEmpty) return 0;
        var read = RandomAccess.Read(file.SafeFileHandle, buffer[..(int)Math.Min(buffer.Length, available)], position);
        position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin), origin, "unknown seek origin"),
        };
        return position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("the window is read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the window is read-only");
}
