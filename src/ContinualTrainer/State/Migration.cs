namespace ContinualTrainer.State;

/// <summary>One schema step: applied once, in version order, inside the migration transaction.</summary>
/// <param name="Version">The schema version after this step (1, 2, 3, ...; no gaps).</param>
/// <param name="Name">What the step adds, for the log.</param>
/// <param name="Sql">DDL/DML statements, separated by semicolons.</param>
public sealed record Migration(int Version, string Name, string Sql);
