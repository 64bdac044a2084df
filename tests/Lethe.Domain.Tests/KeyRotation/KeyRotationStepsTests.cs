using Lethe.Domain.Jobs;
using Lethe.Domain.KeyRotation;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.KeyRotation;

/// <summary>Wrapped keys by item, each naming the KMS key it is under; stored objects by key; keys scheduled for deletion.</summary>
internal sealed class InMemoryKeyStore : IKeyRewrapper, ITenantKeyRetirement, ITenantKeyFactory
{
    public SortedDictionary<string, string> Wrapped { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> ObjectsByKey { get; } = new(StringComparer.Ordinal);

    public List<string> Scheduled { get; } = [];

    public List<string> Created { get; } = [];

    /// <summary>Runs after each rewrap page (a writer that keeps sealing under an old key, in a test).</summary>
    public Action? AfterPage { get; set; }

    public Task<RewrapPage> RewrapPageAsync(string tenantId, string targetKeyArn, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var page = Wrapped.Keys.Where(k => cursor is null || string.CompareOrdinal(k, cursor) > 0).Take(limit).ToList();
        var rewrapped = 0;
        foreach (var item in page.Where(i => Wrapped[i] != targetKeyArn))
        {
            Wrapped[item] = targetKeyArn;
            rewrapped++;
        }

        AfterPage?.Invoke();
        var next = page.Count == limit && Wrapped.Keys.Any(k => string.CompareOrdinal(k, page[^1]) > 0) ? page[^1] : null;
        return Task.FromResult(new RewrapPage(page.Count, rewrapped, next));
    }

    public Task<IReadOnlyDictionary<string, long>> WrappedKeysAsync(string tenantId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, long>>(Wrapped.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal));

    public Task<bool> AnyObjectNotUnderAsync(string tenantId, string targetKeyArn, CancellationToken cancellationToken) =>
        Task.FromResult(ObjectsByKey.Any(o => o.Key != targetKeyArn && o.Value > 0));

    public HashSet<string> Disabled { get; } = new(StringComparer.Ordinal);

    public Task EnsureUsableAsync(string tenantId, string? keyArn, CancellationToken cancellationToken) =>
        keyArn is not null && Disabled.Contains(keyArn) ? throw new Lethe.Domain.Crypto.TenantKeyUnavailableException($"{keyArn} is Disabled.") : Task.CompletedTask;

    public Task ScheduleDeletionAsync(string keyArn, CancellationToken cancellationToken)
    {
        Scheduled.Add(keyArn);
        return Task.CompletedTask;
    }

    public Task<string> CreateFreshAsync(string tenantId, CancellationToken cancellationToken)
    {
        var arn = $"arn:aws:kms:eu-west-1:111122223333:key/fresh-{Created.Count + 1}";
        Created.Add(arn);
        return Task.FromResult(arn);
    }
}

/// <summary>The key rotation's steps (workflows/key-rotation.asl.json) over in-memory ports, driven as the ASL drives them.</summary>
public sealed class KeyRotationStepsTests
{
    private const string Tenant = "t1";
    private const string OldKey = "arn:aws:kms:eu-west-1:111122223333:key/old";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryEvidence _evidence = new();
    private readonly InMemoryTenants _tenants = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly InMemoryKeyStore _keys = new();
    private readonly KeyRotationSteps _steps;

    public KeyRotationStepsTests()
    {
        _tenants.Items[Tenant] = new Tenant(Tenant, "Acme", TenantState.Active, _clock.GetUtcNow().AddYears(-1), 1) { KeyArn = OldKey };
        foreach (var item in new[] { "KEK#a", "KEK#b", "KEK#c", "KEKNEXT#b", "SUBJECTREFKEY" })
        {
            _keys.Wrapped[item] = OldKey;
        }

        _steps = new KeyRotationSteps(
            new KeyRotationPorts(_jobs, _tenants, _keys, _keys, _evidence, _clock) { WriterCacheAge = TimeSpan.FromSeconds(6) }, _workflows);
    }

    private async Task<Job> SubmitAsync(string? byok = null)
    {
        var outcome = await new KeyRotationRequests(_jobs, _workflows, _keys, _clock).SubmitAsync(_tenants.Items[Tenant], byok, "platform", "platform-admin", Ct);
        return outcome.Should().BeOfType<Accepted>().Subject.Job;
    }

    /// <summary>Runs the ASL: Begin, the writers' wait, rewrap passes until the switch holds, Retire.</summary>
    private async Task<KeyRotationState> RunAsync(Job job)
    {
        var state = await _steps.Begin.RunAsync(new KeyRotationState(Tenant, job.Id, 1) { PageSize = 2 }, Ct);
        _clock.SetUtcNow(Timestamps.Parse(state.WaitUntil!));
        do
        {
            do
            {
                state = await _steps.RewrapPage.RunAsync(state, Ct);
            }
            while (state.More);

            state = await _steps.Switch.RunAsync(state, Ct);
        }
        while (!state.Switched);

        _clock.SetUtcNow(Timestamps.Parse(state.RetireAt!));
        return await _steps.Retire.RunAsync(state, Ct);
    }

    [Fact]
    public async Task A_rotation_seals_new_data_under_the_target_from_its_start_rewraps_every_key_switches_and_retires_the_old_key()
    {
        var job = await SubmitAsync();
        var target = _keys.Created.Should().ContainSingle().Subject;
        var state = await _steps.Begin.RunAsync(new KeyRotationState(Tenant, job.Id, 1) { PageSize = 2 }, Ct);

        _tenants.Items[Tenant].SealingKeyArn.Should().Be(target, "a KEK created from now on is born under the target");
        _tenants.Items[Tenant].KeyArn.Should().Be(OldKey, "the tenant switches only at the end");
        Timestamps.Parse(state.WaitUntil!).Should().Be(_clock.GetUtcNow().AddSeconds(6));
        await RunAsync(job);

        _keys.Wrapped.Values.Should().OnlyContain(k => k == target);
        _tenants.Items[Tenant].KeyArn.Should().Be(target);
        _tenants.Items[Tenant].NextKeyArn.Should().BeNull();
        _keys.Scheduled.Should().Equal(OldKey);
        _jobs.Items[job.Id].Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task The_switch_goes_round_again_while_a_key_under_another_key_appears_and_gives_up_after_three_passes()
    {
        var job = await SubmitAsync();
        var state = await _steps.Begin.RunAsync(new KeyRotationState(Tenant, job.Id, 1) { PageSize = 10 }, Ct);
        _keys.AfterPage = () => _keys.Wrapped["KEK#late"] = OldKey;

        for (var pass = 0; pass < KeyRotationWorkflow.MaxPasses - 1; pass++)
        {
            state = await _steps.RewrapPage.RunAsync(state, Ct);
            state = await _steps.Switch.RunAsync(state, Ct);
            state.Switched.Should().BeFalse();
            state.Passes.Should().Be(pass + 1);
        }

        state = await _steps.RewrapPage.RunAsync(state, Ct);
        await FluentActions.Awaiting(() => _steps.Switch.RunAsync(state, Ct)).Should().ThrowAsync<KeyRotationIncompleteException>();
        _tenants.Items[Tenant].KeyArn.Should().Be(OldKey, "a tenant is never switched while a key is left behind");
    }

    [Fact]
    public async Task An_old_platform_key_that_stored_objects_still_need_stays_enabled()
    {
        _keys.ObjectsByKey[OldKey] = 4;
        var job = await SubmitAsync();

        await RunAsync(job);

        _keys.Scheduled.Should().BeEmpty();
        _evidence.Events.Values.Should().Contain(e => e.Action == "key-rotation.complete" && e.Details.GetProperty("previousKeyOutcome").GetString() == "kept: stored objects are sealed under it");
        _tenants.Items[Tenant].RetainedKeyArns.Should().Equal(OldKey);
    }

    [Fact]
    public async Task A_rotation_to_the_tenants_own_key_uses_it_and_never_schedules_a_byok_key_it_leaves()
    {
        const string own = "arn:aws:kms:eu-west-1:111122223333:key/customer";
        var first = await SubmitAsync(own);
        await RunAsync(first);
        _tenants.Items[Tenant].ByokKey.Should().BeTrue();
        _keys.Created.Should().BeEmpty("no platform key is made for a BYOK rotation");

        var back = await SubmitAsync();
        await RunAsync(back);

        _keys.Scheduled.Should().Equal(OldKey);
        _tenants.Items[Tenant].ByokKey.Should().BeFalse();
        _evidence.Events.Values.Should().Contain(e => e.Action == "key-rotation.complete" && e.Details.GetProperty("previousKeyOutcome").GetString()!.StartsWith("tenant-owned", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_replay_of_begin_whose_first_run_died_before_the_tenant_was_saved_names_the_target_and_waits_for_the_writers()
    {
        var job = await SubmitAsync();
        await _jobs.TryUpdateAsync(Tenant, job.Id, JobTransitions.Start(JobPhases.Validate, JobPhases.Rewrap, _clock.GetUtcNow()), Ct);

        var state = await _steps.Begin.RunAsync(new KeyRotationState(Tenant, job.Id, 1), Ct);

        _tenants.Items[Tenant].NextKeyArn.Should().Be(job.TargetKeyArn);
        Timestamps.Parse(state.WaitUntil!).Should().Be(_clock.GetUtcNow().AddSeconds(6));
    }

    [Fact]
    public async Task Begin_refuses_a_tenant_whose_key_is_revoked_and_moves_nothing()
    {
        _keys.Disabled.Add(OldKey);
        var job = await SubmitAsync();

        await FluentActions.Awaiting(() => _steps.Begin.RunAsync(new KeyRotationState(Tenant, job.Id, 1), Ct)).Should().ThrowAsync<Lethe.Domain.Crypto.TenantKeyUnavailableException>();
        _tenants.Items[Tenant].NextKeyArn.Should().BeNull("writes do not resume under another key behind the tenant's back");
        _jobs.Items[job.Id].Phase.Should().Be(JobPhases.Validate);
    }

    [Fact]
    public async Task The_old_key_is_looked_at_long_after_the_switch_and_a_key_for_another_account_never_retires_the_platform_key()
    {
        const string foreign = "arn:aws:kms:eu-west-1:999988887777:key/elsewhere";
        var job = await SubmitAsync(foreign);
        var state = await _steps.Begin.RunAsync(new KeyRotationState(Tenant, job.Id, 1) { PageSize = 10 }, Ct);
        _clock.SetUtcNow(Timestamps.Parse(state.WaitUntil!));
        state = await _steps.Switch.RunAsync(await _steps.RewrapPage.RunAsync(state, Ct), Ct);

        Timestamps.Parse(state.RetireAt!).Should().Be(_clock.GetUtcNow().AddMinutes(16));
        _clock.SetUtcNow(Timestamps.Parse(state.RetireAt!));
        await _steps.Retire.RunAsync(state, Ct);
        _keys.Scheduled.Should().BeEmpty();
        _jobs.Items[job.Id].Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task Begin_refuses_when_the_tenants_key_changed_since_the_rotation_was_asked_for()
    {
        var job = await SubmitAsync();
        _tenants.Items[Tenant] = _tenants.Items[Tenant] with { KeyArn = "arn:aws:kms:eu-west-1:111122223333:key/other" };

        await FluentActions.Awaiting(() => _steps.Begin.RunAsync(new KeyRotationState(Tenant, job.Id, 1), Ct)).Should().ThrowAsync<KeyChangedException>();
        _tenants.Items[Tenant].NextKeyArn.Should().BeNull();
    }

    [Fact]
    public async Task A_second_rotation_while_one_is_open_is_refused_without_making_a_key()
    {
        var first = await SubmitAsync();

        var second = await new KeyRotationRequests(_jobs, _workflows, _keys, _clock).SubmitAsync(_tenants.Items[Tenant], null, "platform", "platform-admin", Ct);

        second.Should().BeOfType<ErasureOpen>().Which.JobId.Should().Be(first.Id);
        _keys.Created.Should().ContainSingle();
    }
}
