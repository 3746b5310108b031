using ContinualTrainer.Checkpoints;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Checkpoints;

public sealed class CheckpointPathsTests
{
    [Theory]
    [InlineData("config.json")]
    [InlineData("model-00001-of-00002.safetensors")]
    [InlineData("merged/model.safetensors")]
    [InlineData("tokenizer.model")]
    [InlineData("a+b_c-d.e")]
    public void Accepts_plain_relative_names(string name) => Assert.Null(CheckpointPaths.Problem(name));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd", "absolute path")]
    [InlineData("..", "'..' part")]
    [InlineData("merged/../../etc", "'..' part")]
    [InlineData("./config.json", "'.' part")]
    [InlineData("a//b", "empty part")]
    [InlineData("a/", "empty part")]
    [InlineData(".ssh", "starts with '.'")]
    [InlineData("-e", "starts with '-'")]
    [InlineData("a\\b", "the character '\\'")]
    [InlineData("a;b", "the character ';'")]
    [InlineData("a'b", "the character '''")]
    [InlineData("a\nb", "U+000A")]
    [InlineData("caf\u00e9", "U+00E9")]
    [InlineData("a/b/c/d/e/f/g/h/i", "more than 8 folders deep")]
    public void Refuses_names_that_are_not_plain_relative_paths(string name, string reason)
    {
        var problem = CheckpointPaths.Problem(name);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem);
    }

    [Fact]
    public void Resolve_refuses_a_symlinked_folder_leading_out_of_the_version()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("outside"));
        File.WriteAllText(dir.File("outside/model.safetensors"), "secret");
        Directory.CreateDirectory(dir.File("v1"));
        Directory.CreateSymbolicLink(dir.File("v1/merged"), dir.File("outside"));

        var error = Assert.Throws<CheckpointException>(() => CheckpointPaths.Resolve(dir.File("v1"), "merged/model.safetensors", "v1"));
        Assert.Contains("symbolic link", error.Message);
        Assert.Equal(dir.File("v1/config.json"), CheckpointPaths.Resolve(dir.File("v1"), "config.json", "v1"));
    }

    [Theory]
    [InlineData("v0", 0)]
    [InlineData("v7", 7)]
    [InlineData("v999999999", 999_999_999)]
    public void Version_names_parse(string name, int number)
    {
        Assert.True(VersionName.TryParse(name, out var parsed));
        Assert.Equal(number, parsed);
        Assert.Equal(name, VersionName.Format(number));
    }

    [Theory]
    [InlineData("v")]
    [InlineData("v01")]
    [InlineData("V1")]
    [InlineData("v-1")]
    [InlineData("v1 ")]
    [InlineData("v1;rm")]
    [InlineData("v1000000000")]
    [InlineData("current")]
    public void Version_names_are_strict(string name) => Assert.False(VersionName.TryParse(name, out _));
}
