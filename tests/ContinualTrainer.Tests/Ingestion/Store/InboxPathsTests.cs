using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.Ingestion.Watching;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>Which files in the watched folders are inputs, and which folder and format they belong to.</summary>
public sealed class InboxPathsTests
{
    [Theory]
    [InlineData("chat.jsonl", false)]
    [InlineData("sub/dir/chat.jsonl", false)]
    [InlineData("chat.jsonl.tmp", true)]
    [InlineData("chat.jsonl.part", true)]
    [InlineData("chat.jsonl~", true)]
    [InlineData(".chat.jsonl", true)]
    [InlineData(".git/objects/ab", true)]
    [InlineData("sub/.hidden/chat.jsonl", true)]
    [InlineData("sub/chat.tmp.jsonl", false)]
    public void Names_being_written_backups_and_dotfiles_are_ignored(string relativePath, bool ignored) =>
        Assert.Equal(ignored, InboxPaths.IsIgnored(relativePath));

    [Fact]
    public void Enumeration_is_recursive_sorted_and_skips_ignored_names_and_dot_folders()
    {
        using var inbox = new Inbox();
        foreach (var name in new[] { "b.jsonl", "a/c.jsonl", "a/.cache/d.jsonl", ".e.jsonl", "f.part", "g.jsonl~", "a/h.tmp" })
            inbox.Write(inbox.Transcripts, name, "x");

        var files = InboxPaths.EnumerateFiles(inbox.Transcripts).Select(p => Path.GetRelativePath(inbox.Transcripts, p));

        Assert.Equal(["a/c.jsonl", "b.jsonl"], files);
    }

    [Fact]
    public void A_path_belongs_to_its_watched_folder_and_takes_the_innermost_format_override()
    {
        using var inbox = new Inbox(
            ("Ingestion:Formats:0", "sharegpt:{dir}/inbox/transcripts/exports"),
            ("Ingestion:Formats:1", "text:{dir}/inbox/transcripts/exports/plain"));

        var plain = InboxPaths.Locate(inbox.Options.Ingestion, Path.Combine(inbox.Transcripts, "exports", "plain", "x.txt"));
        var export = InboxPaths.Locate(inbox.Options.Ingestion, Path.Combine(inbox.Transcripts, "exports", "y.json"));
        var other = InboxPaths.Locate(inbox.Options.Ingestion, Path.Combine(inbox.Transcripts, "exportsX", "z.json"));
        var outside = InboxPaths.Locate(inbox.Options.Ingestion, Path.Combine(inbox.Root, "elsewhere.json"));

        Assert.Equal((ConversationFormat.Text, "exports/plain/x.txt"), (plain!.Format, plain.RelativePath));
        Assert.Equal(ConversationFormat.ShareGpt, export!.Format);
        Assert.Null(other!.Format);
        Assert.Null(outside);
    }
}
