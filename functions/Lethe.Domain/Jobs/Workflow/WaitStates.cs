namespace Lethe.Domain.Jobs.Workflow;

/// <summary>What the step after a Wait state may assume about the moment it runs.</summary>
public static class WaitStates
{
    /// <summary>
    /// A Wait wakes on whole seconds (an emulator truncates the timestamp's fraction and the delta): the step after it waits out a
    /// remainder up to this long itself, and treats a longer one as not due.
    /// </summary>
    public static readonly TimeSpan ShortRemainder = TimeSpan.FromSeconds(10);

    /// <summary>Waits out a short remainder until <paramref name="until"/>; false when more than <see cref="ShortRemainder"/> is left.</summary>
    public static async Task<bool> WaitOutRemainderAsync(DateTimeOffset until, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var remaining = until - clock.GetUtcNow();
        if (remaining > ShortRemainder)
        {
            return false;
        }

        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining + TimeSpan.FromMilliseconds(5), clock, cancellationToken);
        }

        return true;
    }
}
