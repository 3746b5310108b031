namespace ContinualTrainer.Tests.Support;

/// <summary>
/// A fact that needs an external program (promtool, systemd-analyze, sshd...) on PATH; skipped with that
/// reason when the program is absent (<c>.ci/run</c> installs them, so CI runs these tests).
/// </summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool)
    {
        if (Tools.Find(tool) is null) Skip = $"{tool} is not installed on this machine (.ci/run installs it)";
    }
}

/// <summary>Finds programs on PATH (and in the sbin folders, where Debian puts sshd).</summary>
public static class Tools
{
    public static string? Find(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]))
        {
            var candidate = System.IO.Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
