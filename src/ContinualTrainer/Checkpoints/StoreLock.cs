namespace ContinualTrainer.Checkpoints;

/// <summary>
/// Exclusive use of a checkpoint store across processes (the daemon and the <c>checkpoints</c> verbs): an
/// advisory lock on <c>STORE/.lock</c> (flock through .NET's FileShare.None), released when disposed or when the
/// process dies. Waits for a holder to finish, up to a limit.
/// </summary>
public sealed class StoreLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly FileStream stream;

    private StoreLock(FileStream stream) => this.stream = stream;

    public static async Task<StoreLock> AcquireAsync(string storeRoot, TimeSpan wait, CancellationToken cancellationToken)
    {
        var path = Path.Combine(storeRoot, ".lock");
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
            catch (IOException e)
            {
                throw new CheckpointException($"{storeRoot}: the checkpoint store is busy (another process is publishing, rolling back or pruning); try again later", e);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
