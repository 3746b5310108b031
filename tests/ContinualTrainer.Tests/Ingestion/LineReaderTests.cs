using System.Text;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class LineReaderTests
{
    private static List<(long Number, long Start, long End, string? Text)> ReadAll(byte[] bytes, int maxLineBytes, bool complete, long offset = 0, long line = 1)
    {
        using var reader = new LineReader(new MemoryStream(bytes), offset, line, maxLineBytes, complete);
        var lines = new List<(long, long, long, string?)>();
        while (reader.TryRead(out var raw))
        {
            lines.Add((raw.Number, raw.StartOffset, raw.EndOffset, raw.IsTooLong ? null : Encoding.UTF8.GetString(raw.Content.Span)));
        }
        return lines;
    }

    [Fact]
    public void Returns_lines_longer_than_the_initial_buffer_intact_with_exact_offsets()
    {
        var long1 = new string('a', 150_000);
        var long2 = new string('b', 70_000);
        var bytes = Encoding.ASCII.GetBytes($"x\n{long1}\r\n{long2}\n");

        var lines = ReadAll(bytes, maxLineBytes: 200_000, complete: true);

        Assert.Equal(
            [(1L, 0L, 2L, "x"), (2L, 2L, 150_004L, long1), (3L, 150_004L, 220_005L, long2)],
            lines);
    }

    [Fact]
    public void Skips_an_over_long_line_spanning_many_buffers_and_resumes_on_the_next()
    {
        var bytes = Encoding.ASCII.GetBytes("short\n" + new string('z', 1_000_000) + "\nafter\n");

        var lines = ReadAll(bytes, maxLineBytes: 1000, complete: true);

        Assert.Equal([(1L, 0L, 6L, "short"), (2L, 6L, 1_000_007L, null), (3L, 1_000_007L, 1_000_013L, "after")], lines);
    }

    [Fact]
    public void A_line_exactly_at_the_limit_is_kept_and_one_byte_more_is_not()
    {
        var bytes = Encoding.ASCII.GetBytes("1234\r\n12345\n");

        var lines = ReadAll(bytes, maxLineBytes: 4, complete: true);

        Assert.Equal([(1L, 0L, 6L, "1234"), (2L, 6L, 12L, null)], lines);
    }

    [Fact]
    public void Keeps_the_unterminated_last_line_until_the_file_is_complete()
    {
        var bytes = Encoding.ASCII.GetBytes("one\ntwo");

        using var reader = new LineReader(new MemoryStream(bytes), 0, 1, 100, fileIsComplete: false);
        Assert.True(reader.TryRead(out _));
        Assert.False(reader.TryRead(out _));
        Assert.Equal((4, 2), (reader.ConsumedOffset, reader.NextLineNumber));

        Assert.Equal([(1L, 0L, 4L, "one"), (2L, 4L, 7L, "two")], ReadAll(bytes, 100, complete: true));
    }

    [Fact]
    public void Strips_a_bom_only_at_the_start_of_the_file()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("a\n\uFEFFb\n")).ToArray();

        Assert.Equal([(1L, 3L, 5L, "a"), (2L, 5L, 10L, "\uFEFFb")], ReadAll(bytes, 100, complete: true));
        Assert.Equal([(7L, 5L, 10L, "\uFEFFb")], ReadAll(bytes, 100, complete: true, offset: 5, line: 7));
    }
}
