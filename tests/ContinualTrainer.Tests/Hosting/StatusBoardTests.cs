using ContinualTrainer.Hosting;

namespace ContinualTrainer.Tests.Hosting;

public sealed class StatusBoardTests
{
    [Fact]
    public void Composes_phase_facts_and_waiting_reason_into_one_line()
    {
        var board = new StatusBoard();
        board.SetPhase("idle");
        board.SetFact("examples", "1,234 examples");
        board.SetFact("model", "model v7");
        board.SetWaiting("a model");
        Assert.Equal("idle; 1,234 examples; model v7; waiting: a model", board.Line);
        board.SetFact("model", null);
        board.SetWaiting(null);
        Assert.Equal("idle; 1,234 examples", board.Line);
    }

    [Fact]
    public void Raises_changed_only_when_the_line_changes()
    {
        var board = new StatusBoard();
        var lines = new List<string>();
        board.Changed += lines.Add;
        board.SetPhase("idle");
        board.SetPhase("idle");
        board.SetFact("examples", "3 examples");
        board.SetFact("examples", "3 examples");
        Assert.Equal(["idle", "idle; 3 examples"], lines);
    }
}
