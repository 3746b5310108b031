using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Checkpoints;

/// <summary>A fact that runs a real sshd (<see cref="SshServer"/>); skipped with the reason when sshd, ssh or rsync is missing.</summary>
public sealed class SshdFactAttribute : FactAttribute
{
    public SshdFactAttribute()
    {
        if (SshServer.SkipReason is { } reason) Skip = reason;
    }
}
