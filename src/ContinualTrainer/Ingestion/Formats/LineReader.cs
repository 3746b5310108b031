using System.Buffers;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Reads whole lines from a stream through one pooled buffer of at most <c>maxLineBytes + 2</c> bytes,
/// tracking byte offsets and line numbers so that a later run can resume exactly where this one stopped.
/// </summary>
/// <remarks>
/// A UTF-8 BOM at offset 0 is skipped; "\r\n" endings are stripped like "\n". A line longer than the limit is
/// reported with <see cref="RawLine.IsTooLong"/> after scanning to its '\n' without buffering it. A last line
/// without '\n' is only returned when the file is complete; otherwise reading stops before it and
/// <see cref="ConsumedOffset"/> stays at its start.
/// </remarks>
internal sealed class LineReader : IDisposable
{
    private const int InitialBufferBytes = 64 * 1024;

    private readonly Stream stream;
    private readonly int maxLineBytes;
    private readonly int capacity;
    private readonly bool fileIsComplete;
    private byte[] buffer;
    private int start;
    private int end;
    private long bufferOffset;
    private bool endOfStream;
    private bool bomChecked;

    public LineReader(Stream stream, long startOffset, long startLineNumber, int maxLineBytes, bool fileIsComplete)
    {
        this.stream = stream;
        this.maxLineBytes = maxLineBytes;
        this.fileIsComplete = fileIsComplete;
        capacity = maxLineBytes + 2;
        buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, capacity));
        stream.Seek(startOffset, SeekOrigin.Begin);
        bufferOffset = startOffset;
        ConsumedOffset = startOffset;
        NextLineNumber = startLineNumber;
        bomChecked = startOffset != 0;
    }

    /// <summary>File offset just after the last line returned.</summary>
    public long ConsumedOffset { get; private set; }

    /// <summary>1-based number of the line starting at <see cref="ConsumedOffset"/>.</summary>
    public long NextLineNumber { get; private set; }

    /// <summary>Reads the next whole line; false when there is none (yet).</summary>
    public bool TryRead(out RawLine line)
    {
        if (!bomChecked) SkipBom();
        var scanFrom = start;
        while (true)
        {
            var newline = buffer.AsSpan(scanFrom, end - scanFrom).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = Emit(scanFrom + newline, scanFrom + newline + 1);
                return true;
            }
            scanFrom = end;
            if (endOfStream)
            {
                if (end > start && fileIsComplete)
                {
                    line = Emit(end, end);
                    return true;
                }
                line = default;
                return false;
            }
            if (end == buffer.Length)
            {
                if (start > 0)
                {
                    scanFrom -= start;
                    Compact();
                }
                else if (buffer.Length < capacity)
                {
                    Grow();
                }
                else
                {
                    return SkipLongLine(out line);
                }
            }
            Fill();
        }
    }

    public void Dispose()
    {
        var rented = buffer;
        buffer = [];
        if (rented.Length > 0) ArrayPool<byte>.Shared.Return(rented);
    }

    private RawLine Emit(int contentEnd, int next)
    {
        var length = contentEnd - start;
        if (length > 0 && buffer[contentEnd - 1] == (byte)'\r') length--;
        var tooLong = length > maxLineBytes;
        var line = new RawLine(
            tooLong ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(start, length),
            NextLineNumber,
            bufferOffset + start,
            bufferOffset + next,
            tooLong);
        start = next;
        ConsumedOffset = line.EndOffset;
        NextLineNumber++;
        return line;
    }

    private bool SkipLongLine(out RawLine line)
    {
        // The buffer holds the start of a line that cannot fit: drop it and scan on chunk by chunk.
        var lineStart = bufferOffset + start;
        bufferOffset += end;
        start = end = 0;
        while (true)
        {
            var read = stream.Read(buffer, 0, buffer.Length);
            if (read == 0)
            {
                endOfStream = true;
                if (!fileIsComplete)
                {
                    line = default;
                    return false;
                }
                line = new RawLine(ReadOnlyMemory<byte>.Empty, NextLineNumber, lineStart, bufferOffset, IsTooLong: true);
                break;
            }
            var newline = buffer.AsSpan(0, read).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = new RawLine(ReadOnlyMemory<byte>.Empty, NextLineNumber, lineStart, bufferOffset + newline + 1, IsTooLong: true);
                start = newline + 1;
                end = read;
                break;
            }
            bufferOffset += read;
        }
        ConsumedOffset = line.EndOffset;
        NextLineNumber++;
        return true;
    }

    private void SkipBom()
    {
        bomChecked = true;
        while (end - start < 3 && !endOfStream)
        {
            if (end == buffer.Length) break;
            Fill();
        }
        if (buffer.AsSpan(start, end - start).StartsWith("\uFEFF"u8)) start += 3;
    }

    private void Fill()
    {
        var read = stream.Read(buffer, end, buffer.Length - end);
        if (read == 0) endOfStream = true;
        else end += read;
    }

    private void Compact()
    {
        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
        bufferOffset += start;
        end -= start;
        start = 0;
    }

    private void Grow()
    {
        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, capacity));
        Buffer.BlockCopy(buffer, start, larger, 0, end - start);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
        bufferOffset += start;
        end -= start;
        start = 0;
    }
}
