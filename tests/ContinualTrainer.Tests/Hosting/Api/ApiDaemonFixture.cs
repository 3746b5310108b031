namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>One daemon on loopback (no token) over an <see cref="ApiState"/>, shared by the tests of a class.</summary>
public sealed class ApiDaemonFixture : IAsyncLifetime
{
    internal ApiState State { get; private set; } = null!;
    internal ApiDaemon Daemon { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        State = await ApiState.CreateAsync();
        Daemon = await ApiDaemon.StartAsync(State.StateDirectory);
    }

    public Task DisposeAsync()
    {
        Daemon?.Dispose();
        State?.Dispose();
        return Task.CompletedTask;
    }
}
