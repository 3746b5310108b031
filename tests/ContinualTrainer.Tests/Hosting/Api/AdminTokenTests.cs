using System.Runtime.Versioning;
using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting.Api;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary><c>Metrics:AdminTokenFile</c>: when it is required, how the file is checked, and which Authorization headers the token accepts.</summary>
[SupportedOSPlatform("linux")]
public sealed class AdminTokenTests
{
    private const string Token = "c0ffee-tea.7~token_0123456789";

    private static MetricsOptions Metrics(TempDir dir, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return DaemonOptionsLoader.Bind(configuration, null, dir.Path).Metrics;
    }

    private static string WriteToken(TempDir dir, string text)
    {
        var path = dir.Write("token", text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        return path;
    }

    [Theory]
    [InlineData("0.0.0.0:9464")]
    [InlineData("192.168.1.20:9464")]
    [InlineData("[::]:9464")]
    public void Listening_beyond_loopback_requires_a_token_file(string listen)
    {
        using var dir = new TempDir();
        var error = Assert.Throws<ConfigurationException>(() => Metrics(dir, ("Metrics:Listen", listen)));
        Assert.Equal(
            $"Metrics:AdminTokenFile is required because Metrics:Listen = '{System.Net.IPEndPoint.Parse(listen)}' is not a loopback address: "
            + "the admin API's POST endpoints need a bearer token from that file (or listen on 127.0.0.1)", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:9464")]
    [InlineData("127.0.0.2:9464")]
    [InlineData("[::1]:9464")]
    [InlineData("localhost:9464")]
    public void Loopback_needs_no_token_file(string listen)
    {
        using var dir = new TempDir();
        var metrics = Metrics(dir, ("Metrics:Listen", listen));
        Assert.True(metrics.LoopbackOnly);
        Assert.Null(metrics.AdminTokenFile);
        Assert.Null(AdminToken.Load(metrics));
    }

    [Fact]
    public void The_token_file_path_is_made_absolute_and_not_opened_when_reading_the_configuration()
    {
        using var dir = new TempDir();
        var metrics = Metrics(dir, ("Metrics:Listen", "0.0.0.0:9464"), ("Metrics:AdminTokenFile", "relative/admin-token"));
        Assert.Equal(Path.GetFullPath("relative/admin-token"), metrics.AdminTokenFile);
        Assert.False(metrics.LoopbackOnly);
    }

    [Fact]
    public void Accepts_only_the_trimmed_token_as_a_bearer_credential()
    {
        using var dir = new TempDir();
        var token = AdminToken.Read(WriteToken(dir, "\t" + Token + "\r\n"));

        Assert.True(token.Accepts("Bearer " + Token));
        Assert.True(token.Accepts("bearer " + Token));
        Assert.True(token.Accepts("Bearer  " + Token + " "));
        Assert.False(token.Accepts(null));
        Assert.False(token.Accepts(""));
        Assert.False(token.Accepts(Token));
        Assert.False(token.Accepts("Basic " + Token));
        Assert.False(token.Accepts("Bearer"));
        Assert.False(token.Accepts("Bearer " + Token[..^1]));
        Assert.False(token.Accepts("Bearer " + Token + "x"));
        Assert.False(token.Accepts("Bearer " + Token.ToUpperInvariant()));
    }

    [Theory]
    [InlineData(UnixFileMode.OtherRead, "is readable by every user (mode 604)")]
    [InlineData(UnixFileMode.GroupRead, null)]
    public void A_token_file_readable_by_every_user_is_refused(UnixFileMode extra, string? reason)
    {
        using var dir = new TempDir();
        var path = dir.Write("token", Token);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);
        if (reason is null)
        {
            Assert.True(AdminToken.Read(path).Accepts("Bearer " + Token));
            return;
        }
        var error = Assert.Throws<ConfigurationException>(() => AdminToken.Read(path));
        Assert.StartsWith($"Metrics:AdminTokenFile {path}: {reason}", error.Message);
    }

    [Fact]
    public void A_folder_or_an_oversized_file_is_refused()
    {
        using var dir = new TempDir();
        var folder = Assert.Throws<ConfigurationException>(() => AdminToken.Read(dir.Path));
        Assert.Equal($"Metrics:AdminTokenFile {dir.Path}: is a folder, not a file", folder.Message);

        var big = WriteToken(dir, new string('t', AdminToken.MaxFileBytes + 1));
        var error = Assert.Throws<ConfigurationException>(() => AdminToken.Read(big));
        Assert.Equal($"Metrics:AdminTokenFile {big}: is 4097 bytes; a token file holds one token (at most 4096 bytes)", error.Message);
    }

    [ToolFact("mkfifo")]
    public async Task A_pipe_in_place_of_the_token_file_is_refused_without_blocking()
    {
        using var dir = new TempDir();
        var fifo = dir.File("token");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", ["-m", "600", fifo])) await mkfifo.WaitForExitAsync();
        var error = Assert.Throws<ConfigurationException>(() => AdminToken.Read(fifo));
        Assert.Equal($"Metrics:AdminTokenFile {fifo}: is not a regular file", error.Message);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("abc", "the token has 3 characters; use at least 16")]
    [InlineData("0123456789abcdef 0123456789abcdef", "must hold one token of visible ASCII characters")]
    [InlineData("0123456789abcdef\n0123456789abcdef", "must hold one token of visible ASCII characters")]
    [InlineData("0123456789abcdéf", "must hold one token of visible ASCII characters")]
    public void A_token_file_without_one_usable_token_is_refused(string text, string reason)
    {
        using var dir = new TempDir();
        var path = WriteToken(dir, text);
        var error = Assert.Throws<ConfigurationException>(() => AdminToken.Read(path));
        Assert.StartsWith($"Metrics:AdminTokenFile {path}: {reason}", error.Message);
        Assert.DoesNotContain("0123456789abcdef", error.Message);
    }
}
