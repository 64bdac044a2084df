namespace Lethe.Domain.Crypto;

/// <summary>
/// Unwrapped subject KEKs kept in memory for a bounded time and count (DESIGN.md), so a warm writer makes no KMS call per
/// write. Concurrent misses for one subject share one load (one KMS call, not one per request). Entries are dropped at
/// expiry, when the cache is over its size (least recently used first), and on <see cref="Invalidate"/> (a shred).
/// Evicted keys are not zeroed here: a request may still hold one; the owner of a key zeroes what it replaces.
/// </summary>
public sealed class KekCache
{
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;
    private readonly int _capacity;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _recency = new();
    private readonly object _gate = new();
    private long _generation;

    public KekCache(TimeProvider clock, TimeSpan lifetime, int capacity)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _clock = clock;
        _lifetime = lifetime;
        _capacity = capacity;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public static string KeyFor(string tenantId, string subjectRef) => $"{tenantId}/{subjectRef}";

    public Task<SubjectKek> GetOrLoadAsync(string key, Func<CancellationToken, Task<SubjectKek>> load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(load);
        Task<SubjectKek> pending;
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (_entries.TryGetValue(key, out var entry))
            {
                if (entry.ExpiresAt > now && !entry.Load.IsFaulted && !entry.Load.IsCanceled)
                {
                    _recency.Remove(entry.Node);
                    _recency.AddFirst(entry.Node);
                    return entry.Load;
                }

                Remove(key, entry);
            }

            var generation = ++_generation;
            pending = LoadAndForgetOnFailureAsync(key, generation, load, cancellationToken);
            var node = _recency.AddFirst(key);
            _entries[key] = new Entry(pending, now + _lifetime, node, generation);
            while (_entries.Count > _capacity)
            {
                var oldest = _recency.Last!.Value;
                Remove(oldest, _entries[oldest]);
            }
        }

        return pending;
    }

    /// <summary>Forgets a subject's KEK (after a shred or a rewrap) so no later request uses it.</summary>
    public void Invalidate(string key)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                Remove(key, entry);
            }
        }
    }

    private async Task<SubjectKek> LoadAndForgetOnFailureAsync(string key, long generation, Func<CancellationToken, Task<SubjectKek>> load, CancellationToken cancellationToken)
    {
        try
        {
            // Yield first, so the entry is in the dictionary before a synchronously failing load looks for it.
            await Task.Yield();
            return await load(cancellationToken);
        }
        catch
        {
            // A failed load (KMS throttled, key disabled) must not be served from the cache to later callers.
            lock (_gate)
            {
                if (_entries.TryGetValue(key, out var entry) && entry.Generation == generation)
                {
                    Remove(key, entry);
                }
            }

            throw;
        }
    }

    private void Remove(string key, Entry entry)
    {
        _entries.Remove(key);
        _recency.Remove(entry.Node);
    }

    private sealed record Entry(Task<SubjectKek> Load, DateTimeOffset ExpiresAt, LinkedListNode<string> Node, long Generation);
}
