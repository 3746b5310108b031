using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// The end-to-end scenario's folder: the configuration file every daemon run shares (tiny-llama, wikitext-2 replay,
/// local checkpoints only, the admin API with a bearer token on a free loopback port, a schedule that never fires,
/// one-second rescans of the inbox), the private token file and the state folder.
/// </summary>
internal sealed class EndToEndWorkspace : IDisposable
{
    /// <summary>Seconds between the daemon's full rescans of its inbox (Ingestion:RescanSeconds).</summary>
    public const int RescanSeconds = 1;

    private readonly TempDir dir = new();

    [SupportedOSPlatform("linux")]
    public EndToEndWorkspace()
    {
        Port = FreePort.Next();
        State = dir.File("state");
        Token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        TokenFile = dir.Write("admin-token", Token + "\n");
        File.SetUnixFileMode(TokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var settings = new JsonObject
        {
            ["Model"] = new JsonObject { ["Base"] = SharedFixtures.Path("fixtures", "models", "tiny-llama") },
            ["Paths"] = new JsonObject { ["State"] = State },
            ["Ingestion"] = new JsonObject { ["RescanSeconds"] = RescanSeconds, ["SettleSeconds"] = 1 },
            ["Metrics"] = new JsonObject { ["Listen"] = $"127.0.0.1:{Port}", ["AdminTokenFile"] = TokenFile },
            ["Dataset"] = new JsonObject { ["GeneralCorpus"] = SharedFixtures.Path("corpora", "wikitext-2", "valid.txt") },
            // A small held-out set and few probes: each evaluation takes well under a second on the tiny model.
            ["Guard"] = new JsonObject { ["MaxHoldoutTokens"] = 4096, ["ProbesPerCategory"] = 10 },
            ["Training"] = new JsonObject { ["Seed"] = 7 },
            // Once, on 1 January 2099: runs happen only when the test asks for one.
            ["Schedule"] = new JsonObject { ["Cron"] = "0 0 0 1 1 ? 2099", ["TimeZone"] = "UTC" },
        };
        Config = dir.Write("appsettings.json", settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The admin API's and /metrics' loopback port, the same for every daemon run (Prometheus scrapes it).</summary>
    public int Port { get; }

    public string State { get; }
    public string Config { get; }
    public string Token { get; }
    public string TokenFile { get; }

    /// <summary>The watched transcripts folder (the default, inside the state folder; the daemon creates it).</summary>
    public string Inbox => System.IO.Path.Combine(State, "inbox", "transcripts");

    public string Path(string name) => dir.File(name);

    public void Dispose() => dir.Dispose();
}
