using ContinualTrainer.Hosting;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Hosting;

public sealed class SystemdNotifierTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sends_datagrams_to_path_and_abstract_sockets(bool isAbstract)
    {
        using var dir = new TempDir();
        using var socket = new NotifySocket(dir.Path, isAbstract);
        using var notifier = new SystemdNotifier(socket.Name);

        Assert.True(notifier.IsEnabled);
        Assert.True(notifier.Notify("READY=1"));
        Assert.True(notifier.Status("idle; 3 examples\nsecond line"));

        Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(5)));
        Assert.True(await socket.WaitForAsync("STATUS=idle; 3 examples second line", TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Is_a_no_op_without_NOTIFY_SOCKET()
    {
        using var notifier = new SystemdNotifier(null);
        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.Notify("READY=1"));
    }

    [Fact]
    public void Reports_a_missing_socket_once_without_throwing()
    {
        using var dir = new TempDir();
        using var notifier = new SystemdNotifier(dir.File("nobody-listens.sock"));
        Assert.False(notifier.Notify("READY=1"));
        Assert.Contains("nobody-listens.sock", notifier.TakeFirstError());
        Assert.False(notifier.Notify("WATCHDOG=1"));
        Assert.Null(notifier.TakeFirstError());
    }
}
