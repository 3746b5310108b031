using ContinualTrainer.Configuration;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Tests.Checkpoints;

public sealed class CheckpointsOptionsTests
{
    private static DaemonOptions Bind(string state, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return DaemonOptionsLoader.Bind(configuration, null, state);
    }

    /// <summary>Every Ssh key set to a valid value (the key and known_hosts files exist in <paramref name="dir"/>).</summary>
    private static (string, string)[] Ssh(TempDir dir, params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string>
        {
            ["Checkpoints:Ssh:Host"] = "storage.example",
            ["Checkpoints:Ssh:User"] = "ct-backup",
            ["Checkpoints:Ssh:Path"] = "/srv/continual-trainer/",
            ["Checkpoints:Ssh:IdentityFile"] = dir.Write("id_ed25519", "key"),
            ["Checkpoints:Ssh:KnownHostsFile"] = dir.Write("known_hosts", "[storage.example]:22 ssh-ed25519 AAAA"),
        };
        foreach (var (key, value) in overrides) values[key] = value;
        return values.Select(p => (p.Key, p.Value)).ToArray();
    }

    [Fact]
    public void Defaults_are_a_local_store_under_the_state_folder_keeping_5_and_every_10th_in_BF16()
    {
        using var dir = new TempDir();
        var options = Bind(dir.Path).Checkpoints;
        Assert.Equal(Path.Combine(dir.Path, "checkpoints"), options.Local);
        Assert.Equal(SafeTensorDType.BF16, options.WeightsDType);
        Assert.False(options.MergedLoraWeights);
        Assert.Equal(5, options.KeepLast);
        Assert.Equal(10, options.KeepEvery);
        Assert.Null(options.Ssh);
    }

    [Fact]
    public void A_storage_host_is_read_with_its_defaults()
    {
        using var dir = new TempDir();
        var ssh = Bind(dir.Path, Ssh(dir)).Checkpoints.Ssh!;
        Assert.Equal("storage.example", ssh.Host);
        Assert.Equal(22, ssh.Port);
        Assert.Equal("/srv/continual-trainer", ssh.Path);
        Assert.Equal(dir.File("id_ed25519"), ssh.IdentityFile);
        Assert.Equal(TimeSpan.FromSeconds(10), ssh.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(900), ssh.RetryMax);
        Assert.Equal(0, ssh.BandwidthLimitKiBps);
    }

    [Theory]
    [InlineData("Checkpoints:KeepLast", "0", "Checkpoints:KeepLast = '0' is not valid: expected a whole number from 1 to 100000")]
    [InlineData("Checkpoints:WeightsDType", "F16", "Checkpoints:WeightsDType = 'F16' is not valid: expected one of BF16, F32")]
    [InlineData("Checkpoints:MergedLoraWeights", "sometimes", "Checkpoints:MergedLoraWeights = 'sometimes' is not valid: expected true or false")]
    [InlineData("Checkpoints:Ssh:Host", "-oProxyCommand=sh", "Checkpoints:Ssh:Host = '-oProxyCommand=sh' is not valid: expected a host name")]
    [InlineData("Checkpoints:Ssh:User", "root;reboot", "Checkpoints:Ssh:User = 'root;reboot' is not valid: expected a user name")]
    [InlineData("Checkpoints:Ssh:Port", "70000", "Checkpoints:Ssh:Port = '70000' is not valid: expected a whole number from 1 to 65535")]
    [InlineData("Checkpoints:Ssh:Path", "relative/dir", "Checkpoints:Ssh:Path = 'relative/dir' is not valid: expected an absolute folder path")]
    [InlineData("Checkpoints:Ssh:Path", "/srv/../etc", "Checkpoints:Ssh:Path = '/srv/../etc' is not valid")]
    [InlineData("Checkpoints:Ssh:Path", "/srv/$(reboot)", "Checkpoints:Ssh:Path = '/srv/$(reboot)' is not valid")]
    [InlineData("Checkpoints:Ssh:IdentityFile", "/nonexistent/key", "Checkpoints:Ssh:IdentityFile = '/nonexistent/key' is not valid: expected an existing file")]
    [InlineData("Checkpoints:Ssh:RetryMaxSeconds", "1", "Checkpoints:Ssh:RetryMaxSeconds = '1' is not valid: expected at least Checkpoints:Ssh:RetryMinSeconds (10)")]
    public void Bad_values_name_the_key_the_value_and_what_is_allowed(string key, string value, string expected)
    {
        using var dir = new TempDir();
        var error = Assert.Throws<ConfigurationException>(() => Bind(dir.Path, Ssh(dir, (key, value))));
        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Storage_host_settings_without_a_host_are_refused()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<ConfigurationException>(() => Bind(dir.Path, ("Checkpoints:Ssh:User", "backup")));
        Assert.Equal("Checkpoints:Ssh:User = 'backup' is not valid: expected no value while Checkpoints:Ssh:Host is not set (set Checkpoints:Ssh:Host to use a storage host)", error.Message);
    }

    [Fact]
    public void A_host_needs_its_key_and_known_hosts_file()
    {
        using var dir = new TempDir();
        var settings = Ssh(dir).Where(s => s.Item1 != "Checkpoints:Ssh:KnownHostsFile").ToArray();
        var error = Assert.Throws<ConfigurationException>(() => Bind(dir.Path, settings));
        Assert.StartsWith("Checkpoints:Ssh:KnownHostsFile = '' is not valid: expected an existing file", error.Message);
    }

    [Fact]
    public void The_sample_configuration_documents_every_Checkpoints_key_with_its_default()
    {
        using var dir = new TempDir();
        var sample = Path.Combine(SharedFixtures.RepoRoot, "etc", "continual-trainer", "appsettings.json");
        Assert.Equal(Bind(dir.Path).Checkpoints, DaemonOptionsLoader.Load(sample, dir.Path).Checkpoints);

        var keys = new ConfigurationBuilder().AddJsonFile(sample).Build().AsEnumerable().Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        string[] documented =
        [
            "Checkpoints:Local", "Checkpoints:WeightsDType", "Checkpoints:MergedLoraWeights", "Checkpoints:KeepLast", "Checkpoints:KeepEvery",
            "Checkpoints:Ssh:Host", "Checkpoints:Ssh:User", "Checkpoints:Ssh:Port", "Checkpoints:Ssh:Path", "Checkpoints:Ssh:IdentityFile",
            "Checkpoints:Ssh:KnownHostsFile", "Checkpoints:Ssh:ConnectTimeoutSeconds", "Checkpoints:Ssh:IoTimeoutSeconds",
            "Checkpoints:Ssh:RetryMinSeconds", "Checkpoints:Ssh:RetryMaxSeconds", "Checkpoints:Ssh:BandwidthLimitKiBps",
        ];
        Assert.All(documented, key => Assert.Contains(key, keys));
        Assert.DoesNotContain(keys, k => k.StartsWith("Checkpoints:", StringComparison.Ordinal) && k != "Checkpoints:Ssh" && !documented.Contains(k));
    }
}
