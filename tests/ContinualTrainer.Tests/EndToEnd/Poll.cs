namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>Waits for a condition by asking again and again until a deadline: the end-to-end test never sleeps for a fixed time where it can ask.</summary>
internal static class Poll
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="done"/> holds for its answer and returns that answer; throws a
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> and the last answer when <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task<T> UntilAsync<T>(string what, TimeSpan timeout, Func<Task<T>> probe, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var answer = await probe();
            if (done(answer)) return answer;
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"{what}: not within {timeout.TotalSeconds:0} s; last answer: {answer}");
            await Task.Delay(Interval);
        }
    }
}
