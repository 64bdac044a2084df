using System.Security.Cryptography;
using Lethe.Domain.Crypto;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Crypto;

public sealed class KekCacheTests
{
    private readonly FakeTimeProvider _clock = new();

    private sealed class CountingLoader
    {
        public int Calls;

        public async Task<SubjectKek> LoadAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            await Task.Yield();
            return new SubjectKek($"kek-{Calls}", RandomNumberGenerator.GetBytes(32));
        }
    }

    [Fact]
    public async Task A_thousand_concurrent_requests_for_one_subject_load_its_key_once()
    {
        var cache = new KekCache(_clock, TimeSpan.FromMinutes(5), 1000);
        var loader = new CountingLoader();

        var keys = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => cache.GetOrLoadAsync("t1/s1", loader.LoadAsync, CancellationToken.None)));

        loader.Calls.Should().Be(1);
        keys.Select(k => k.KeyId).Distinct().Should().ContainSingle();
    }

    [Fact]
    public async Task A_key_is_loaded_again_once_its_lifetime_is_over()
    {
        var cache = new KekCache(_clock, TimeSpan.FromMinutes(5), 10);
        var loader = new CountingLoader();
        await cache.GetOrLoadAsync("t1/s1", loader.LoadAsync, CancellationToken.None);

        _clock.Advance(TimeSpan.FromMinutes(4));
        await cache.GetOrLoadAsync("t1/s1", loader.LoadAsync, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await cache.GetOrLoadAsync("t1/s1", loader.LoadAsync, CancellationToken.None);

        loader.Calls.Should().Be(2);
    }

    [Fact]
    public async Task The_cache_holds_at_most_its_capacity_dropping_the_least_recently_used()
    {
        var cache = new KekCache(_clock, TimeSpan.FromHours(1), 2);
        var loader = new CountingLoader();
        await cache.GetOrLoadAsync("a", loader.LoadAsync, CancellationToken.None);
        await cache.GetOrLoadAsync("b", loader.LoadAsync, CancellationToken.None);
        await cache.GetOrLoadAsync("a", loader.LoadAsync, CancellationToken.None);

        await cache.GetOrLoadAsync("c", loader.LoadAsync, CancellationToken.None);
        await cache.GetOrLoadAsync("a", loader.LoadAsync, CancellationToken.None);
        await cache.GetOrLoadAsync("b", loader.LoadAsync, CancellationToken.None);

        cache.Count.Should().Be(2);
        loader.Calls.Should().Be(4, "a, b, c, then b again (it was the least recently used when c came)");
    }

    [Fact]
    public async Task An_invalidated_key_is_never_served_again()
    {
        var cache = new KekCache(_clock, TimeSpan.FromHours(1), 10);
        var loader = new CountingLoader();
        var before = await cache.GetOrLoadAsync("t1/s1", loader.LoadAsync, CancellationToken.None);

        cache.Invalidate("t1/s1");
        var after = await cache.GetOrLoadAsync("t1/s1", loader.LoadAsync, CancellationToken.None);

        after.KeyId.Should().NotBe(before.KeyId);
    }

    [Fact]
    public async Task A_failed_load_is_not_cached()
    {
        var cache = new KekCache(_clock, TimeSpan.FromHours(1), 10);
        var loader = new CountingLoader();

        var failing = () => cache.GetOrLoadAsync("t1/s1", _ => throw new InvalidOperationException("KMS throttled"), CancellationToken.None);
        await failing.Should().ThrowAsync<InvalidOperationException>();
        var recovered = await cache.GetOrLoadAsync("t1/s1", loader.LoadAsync, CancellationToken.None);

        recovered.KeyId.Should().Be("kek-1");
    }
}
