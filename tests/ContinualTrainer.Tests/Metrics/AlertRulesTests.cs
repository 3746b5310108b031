using System.Text.RegularExpressions;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Metrics;

/// <summary>The shipped alerting rules, checked and unit-tested by Debian's promtool.</summary>
public sealed partial class AlertRulesTests
{
    private static string Repo => SharedFixtures.RepoRoot;
    private static string RulesFile => Path.Combine(Repo, "etc", "prometheus", "continual-trainer.rules.yml");
    private static string[] RuleTests => Directory.GetFiles(Path.Combine(Repo, "tests", "prometheus"), "*.test.yml").Order().ToArray();

    public static readonly string[] Alerts =
        ["PerplexityRegression", "TrainingRollback", "TrainingStalled", "IngestionErrors", "CheckpointUploadBacklog", "ContinualTrainerDown"];

    [ToolFact("promtool")]
    public async Task Promtool_accepts_the_rules_file()
    {
        var (exitCode, output) = await Promtool.RunAsync(null, "check", "rules", RulesFile);
        Assert.True(exitCode == 0, output);
        Assert.Contains($"SUCCESS: {Alerts.Length} rules found", output);
    }

    [ToolFact("promtool")]
    public async Task Every_alert_passes_its_promtool_unit_tests()
    {
        var (exitCode, output) = await Promtool.RunAsync(null, ["test", "rules", .. RuleTests]);
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("FAILED", output);
    }

    [Fact]
    public void Every_alert_is_tested_both_firing_and_silent_and_carries_severity_and_annotations()
    {
        var rules = File.ReadAllText(RulesFile);
        var declared = AlertName().Matches(rules).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(Alerts.Order(), declared.Order());
        Assert.Equal(Alerts.Length, Regex.Matches(rules, @"^\s+severity: (critical|warning|info)$", RegexOptions.Multiline).Count);
        Assert.Equal(Alerts.Length, Regex.Matches(rules, @"^\s+summary: ", RegexOptions.Multiline).Count);
        Assert.Equal(Alerts.Length, Regex.Matches(rules, @"^\s+description: ", RegexOptions.Multiline).Count);

        var tests = string.Join("\n", RuleTests.Select(File.ReadAllText));
        foreach (var alert in Alerts)
        {
            var blocks = Regex.Matches(tests, $@"alertname: {alert}\s+exp_alerts:(\s*\[\]|\s+- exp_labels)");
            Assert.Contains(blocks, b => b.Groups[1].Value.Trim() == "[]");
            Assert.Contains(blocks, b => b.Groups[1].Value.Contains("exp_labels"));
        }
    }

    [ToolFact("promtool")]
    public async Task The_sample_scrape_config_is_valid()
    {
        using var dir = new TempDir();
        var rules = dir.Write("continual-trainer.rules.yml", File.ReadAllText(RulesFile));
        var config = dir.Write("prometheus.yml",
            File.ReadAllText(Path.Combine(Repo, "etc", "prometheus", "prometheus.yml")).Replace("/etc/prometheus/continual-trainer.rules.yml", rules));
        var (exitCode, output) = await Promtool.RunAsync(null, "check", "config", config);
        Assert.True(exitCode == 0, output);
    }

    [GeneratedRegex(@"^\s+- alert: (\w+)$", RegexOptions.Multiline)]
    private static partial Regex AlertName();
}
