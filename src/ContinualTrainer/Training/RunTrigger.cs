namespace ContinualTrainer.Training;

/// <summary>What started a run.</summary>
public enum RunTrigger
{
    /// <summary>The cron schedule (<c>Schedule:Cron</c>).</summary>
    Schedule,
    /// <summary>A scheduled time that passed while the daemon was down, fired once at start-up.</summary>
    Misfire,
    /// <summary><c>continual-trainer train --now</c> or <c>POST /api/train</c>; gates are not applied.</summary>
    Manual,
}
