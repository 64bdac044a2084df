using System.Text.Json;
using Lethe.Domain.BackupScrub;
using Lethe.Domain.Errors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Offboarding;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Exports;
using Lethe.Domain.Tests.Jobs;
using Lethe.Domain.Tests.KeyRotation;

namespace Lethe.Domain.Tests.Offboarding;

/// <summary>
/// The tenant's stores as the offboarding sees them: items per store (Keys first, as the adapter orders them), the subjects its
/// inventory names, its legal holds, and the scrubs started.
/// </summary>
internal sealed class InMemoryTenantStores : ITenantPurger, ITenantSubjects, ILegalHoldRepository, IBackupScrubStarter
{
    public static readonly string[] Order = ["Keys", "Records", "Inventory", "Jobs", "Data"];

    public Dictionary<string, SortedSet<string>> Stores { get; } = Order.ToDictionary(s => s, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);

    public List<string> SubjectRefs { get; } = [];

    public List<LegalHold> Holds { get; } = [];

    public List<string> ScrubsStarted { get; } = [];

    /// <summary>Runs after each purge page (a writer that keeps writing, in a test).</summary>
    public Action? AfterPage { get; set; }

    private readonly Dictionary<string, SortedSet<string>> _collected = new(StringComparer.Ordinal);

    public Task<TenantPurgePage> PurgePageAsync(Job offboarding, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var store = cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
        var deleted = new Dictionary<string, long>(StringComparer.Ordinal);
        var taken = Stores[Order[store]].Take(limit).ToList();
        foreach (var item in taken)
        {
            Stores[Order[store]].Remove(item);
        }

        if (taken.Count > 0)
        {
            deleted[Order[store]] = taken.Count;
        }

        AfterPage?.Invoke();
        // Like a listing: a short page ends the store for this pass (what lands behind it waits for the next pass).
        var next = taken.Count == limit ? store : store + 1;
        return Task.FromResult(new TenantPurgePage(deleted, Order[store] == "Data" ? taken.Count : 0, next < Order.Length ? next.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    public Task<string?> CollectPageAsync(string tenantId, string jobId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var from = cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
        var list = _collected.TryGetValue(jobId, out var existing) ? existing : _collected[jobId] = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var subject in SubjectRefs.Skip(from).Take(limit))
        {
            list.Add(subject);
        }

        return Task.FromResult(from + limit < SubjectRefs.Count ? (from + limit).ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
    }

    public HashSet<string> Excluded { get; } = new(StringComparer.Ordinal);

    public Task<string?> NextAsync(string tenantId, string jobId, string? afterSubjectRef, CancellationToken cancellationToken) =>
        Task.FromResult(_collected.GetValueOrDefault(jobId)?.FirstOrDefault(s => (afterSubjectRef is null || string.CompareOrdinal(s, afterSubjectRef) > 0) && !Excluded.Contains(s)));

    public Task ExcludeAsync(string tenantId, string jobId, string subjectRef, CancellationToken cancellationToken)
    {
        Excluded.Add(subjectRef);
        return Task.CompletedTask;
    }

    public Task CreateAsync(LegalHold hold, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<LegalHold?> FindAsync(string tenantId, string holdId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> DeleteAsync(string tenantId, string holdId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<LegalHold>> ListAsync(string tenantId, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<LegalHold>>(Holds);

    public Task<Job> StartAsync(Job source, CancellationToken cancellationToken)
    {
        ScrubsStarted.Add(source.Id);
        return Task.FromResult(source);
    }
}

/// <summary>The offboarding's steps (workflows/tenant-offboarding.asl.json) over in-memory ports, driven as the ASL drives them.</summary>
public sealed class TenantOffboardingStepsTests
{
    private const string Tenant = ExportHarness.Tenant;
    private const string TenantKey = "arn:aws:kms:eu-west-1:111122223333:key/tenant-key";
    private const string RetainedKey = "arn:aws:kms:eu-west-1:111122223333:key/kept-by-rotation";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ExportHarness _harness = new();
    private readonly InMemoryTenantStores _stores = new();
    private readonly InMemoryKeyStore _keys = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly TenantOffboardingSteps _steps;

    public TenantOffboardingStepsTests()
    {
        _harness.Tenants.Items[Tenant] = _harness.Tenants.Items[Tenant] with { KeyArn = TenantKey, RetainedKeyArns = [RetainedKey], TimeScale = 1 };
        foreach (var (store, count) in new[] { ("Keys", 3), ("Records", 7), ("Inventory", 9), ("Jobs", 2), ("Data", 5) })
        {
            for (var i = 0; i < count; i++)
            {
                _stores.Stores[store].Add($"{store.ToUpperInvariant()}#{i}");
            }
        }

        _stores.SubjectRefs.AddRange(["ref-anna", "ref-bruno"]);
        _steps = new TenantOffboardingSteps(new TenantOffboardingPorts(
            _harness.Jobs, _harness.Tenants, _stores, _workflows, _stores, _harness, _harness, _stores, _keys, _harness.Evidence, _harness.Evidence,
            _harness.Evidence, _harness.Evidence, _stores, new Lethe.Domain.Exports.ExportLimits(long.MaxValue, 2), _harness.Clock)
        {
            WriterCacheAge = TimeSpan.FromSeconds(6),
            StragglerDelay = TimeSpan.FromMinutes(16),
        });
    }

    private Tenant TheTenant => _harness.Tenants.Items[Tenant];

    private async Task<Job> SubmitAsync(bool finalExport = false)
    {
        var outcome = await new TenantOffboardingRequests(_harness.Jobs, _workflows, _harness.Clock).SubmitAsync(TheTenant, finalExport, "operator-1", "platform-admin", Ct);
        return outcome.Should().BeOfType<Accepted>().Subject.Job;
    }

    private void WaitUntil(TenantOffboardingState state) => _harness.Clock.SetUtcNow(Timestamps.Parse(state.WaitUntil!));

    private async Task<TenantOffboardingState> BeginAndDrainAsync(Job job)
    {
        var state = await _steps.Begin.RunAsync(new TenantOffboardingState(Tenant, job.Id, 1) { PageSize = 4 }, Ct);
        WaitUntil(state);
        return await _steps.Drain.RunAsync(state, Ct);
    }

    /// <summary>Runs the ASL from the drain on: export (when asked) and its window, the purge passes, keys, certificate, end.</summary>
    private async Task<TenantOffboardingState> RunAsync(Job job)
    {
        var state = await BeginAndDrainAsync(job);
        state.Drained.Should().BeTrue();
        if (state.FinalExport)
        {
            do
            {
                state = await _steps.ExportPage.RunAsync(state, Ct);
            }
            while (state.More);

            WaitUntil(state);
        }

        do
        {
            state = await _steps.PurgePage.RunAsync(state, Ct);
        }
        while (state.More);

        state = await _steps.RetireKeys.RunAsync(state, Ct);
        state = await _steps.Certify.RunAsync(state, Ct);
        return await _steps.Terminate.RunAsync(state, Ct);
    }

    [Fact]
    public async Task Begin_makes_the_tenant_refuse_changes_and_waits_for_every_writers_cached_tenant()
    {
        var job = await SubmitAsync();

        var state = await _steps.Begin.RunAsync(new TenantOffboardingState(Tenant, job.Id, 1), Ct);

        TheTenant.State.Should().Be(TenantState.Offboarding);
        Timestamps.Parse(state.WaitUntil!).Should().Be(_harness.Clock.GetUtcNow().AddSeconds(6));
        state.Route.Should().Be(OffboardingRoutes.Drain);
        _harness.Jobs.Items[job.Id].Phase.Should().Be(JobPhases.Drain);
        _harness.Jobs.Items[job.Id].IsCancellable.Should().BeFalse("a half-offboarded tenant is nobody's to keep");
        _harness.Jobs.Items[job.Id].Deadline.Should().Be(job.CreatedAt.AddDays(90));
    }

    [Fact]
    public async Task An_offboarding_purges_every_store_until_a_pass_finds_nothing_retires_its_platform_keys_certifies_and_terminates()
    {
        var job = await SubmitAsync();

        var state = await RunAsync(job);

        _stores.Stores.Values.Should().OnlyContain(s => s.Count == 0);
        var done = _harness.Jobs.Items[job.Id];
        done.Status.Should().Be(JobStatus.Completed);
        done.Counts.Purged.Should().Be(26);
        done.Counts.PurgedByStore.Should().Contain(new KeyValuePair<string, long>("Keys", 3)).And.Contain(new KeyValuePair<string, long>(TenantOffboardingWorkflow.TenantKeys, 2));
        done.Counts.VersionsDeleted.Should().Be(5);
        TheTenant.State.Should().Be(TenantState.Terminated);
        _keys.Scheduled.Should().BeEquivalentTo([TenantKey, RetainedKey], "the tenant key and the key a rotation kept for its objects");
        _stores.ScrubsStarted.Should().Equal(job.Id);
        state.TenantKeyAction.Should().Be(TenantKeyActions.DeletionScheduled);
        var certificate = _harness.Evidence.Certificates[(job.Id, "tenant-offboarding")];
        state.CertificateId.Should().Be(certificate.CertificateId);
        using var payload = JsonDocument.Parse(certificate.Payload);
        payload.RootElement.GetProperty("counts").GetProperty("itemsDeleted").GetInt64().Should().Be(26);
        payload.RootElement.GetProperty("counts").GetProperty("byStore").GetProperty("Keys").GetInt64().Should().Be(3);
        payload.RootElement.GetProperty("keys").GetProperty("scheduledForDeletion").EnumerateArray().Select(k => k.GetString()).Should().Equal("tenant-key", "kept-by-rotation");
        payload.RootElement.GetProperty("deadlineMet").GetString().Should().Be("yes");
        payload.RootElement.GetProperty("finalExport").GetProperty("state").GetString().Should().Be("not-requested");
    }

    [Fact]
    public async Task The_purge_goes_round_again_while_a_writer_adds_data_and_gives_up_after_three_passes()
    {
        var job = await SubmitAsync();
        var state = await BeginAndDrainAsync(job);
        var written = 0;
        // A late writer's KEK lands in a store the pass has left behind: only the next pass finds it.
        _stores.AfterPage = () => _stores.Stores["Keys"].Add($"LATE#{written++}");

        var purge = async () =>
        {
            do
            {
                state = await _steps.PurgePage.RunAsync(state, Ct);
            }
            while (state.More);
        };

        await purge.Should().ThrowAsync<TenantPurgeIncompleteException>();
        TheTenant.State.Should().Be(TenantState.Offboarding, "nothing is certified or terminated while data keeps appearing");
        _keys.Scheduled.Should().BeEmpty();
    }

    [Fact]
    public async Task A_legal_hold_found_by_the_drain_makes_the_tenant_active_again_and_deletes_nothing()
    {
        var job = await SubmitAsync();
        _stores.Holds.Add(new LegalHold("hold-1", Tenant, "ref-anna", "litigation", _harness.Clock.GetUtcNow(), "legal"));
        var state = await _steps.Begin.RunAsync(new TenantOffboardingState(Tenant, job.Id, 1), Ct);
        WaitUntil(state);

        var drain = () => _steps.Drain.RunAsync(state, Ct);

        (await drain.Should().ThrowAsync<LegalHoldActiveException>()).Which.ErrorType.Should().Be("Lethe.LegalHoldActive");
        TheTenant.State.Should().Be(TenantState.Active);
        _stores.Stores.Values.Sum(s => s.Count).Should().Be(26);
    }

    [Fact]
    public async Task The_drain_cancels_what_may_be_cancelled_supersedes_scrubs_and_waits_for_the_rest()
    {
        var now = _harness.Clock.GetUtcNow();
        Job Open(string id, JobType type, string phase, JobStatus status = JobStatus.Running) => _harness.Jobs.Items[id] = new Job
        {
            Id = id, TenantId = Tenant, Type = type, SubjectRef = "ref-anna", Status = status, Phase = phase, CreatedAt = now, UpdatedAt = now, RequestedBy = "admin",
        };
        Open("erasure-in-window", JobType.Deletion, JobPhases.RecoveryWindow);
        Open("scrub", JobType.BackupScrub, JobPhases.BackupWindow);
        Open("replay", JobType.ErasureReplay, JobPhases.Replay);
        var job = await SubmitAsync();

        var state = await BeginAndDrainAsync(job);

        state.Drained.Should().BeFalse("a stopped execution's step may still be running, and the replay runs to its end");
        Timestamps.Parse(state.WaitUntil!).Should().Be(_harness.Clock.GetUtcNow().AddMinutes(16), "the stragglers of the cancelled jobs land first");
        _harness.Jobs.Items["erasure-in-window"].Status.Should().Be(JobStatus.Cancelled);
        _harness.Jobs.Items["scrub"].Status.Should().Be(JobStatus.Cancelled, "the offboarding deletes every version and starts its own scrub");
        _harness.Jobs.Items["replay"].Status.Should().Be(JobStatus.Running);
        _workflows.Stopped.Should().HaveCount(2);
        _stores.Excluded.Should().Equal(["ref-anna"], "the subject of an open erasure is kept out of the final export");
        WaitUntil(state);
        state = await _steps.Drain.RunAsync(state, Ct);
        state.Drained.Should().BeFalse("the replay still runs");
        _harness.Jobs.Items["replay"] = _harness.Jobs.Items["replay"] with { Status = JobStatus.Completed };
        WaitUntil(state);
        (await _steps.Drain.RunAsync(state, Ct)).Drained.Should().BeTrue();
    }

    [Fact]
    public async Task A_drain_still_waiting_after_35_days_fails_and_makes_the_tenant_active_again()
    {
        var now = _harness.Clock.GetUtcNow();
        _harness.Jobs.Items["replay"] = new Job
        {
            Id = "replay", TenantId = Tenant, Type = JobType.ErasureReplay, SubjectRef = RequestService.TenantWideSubject, Status = JobStatus.Running,
            Phase = JobPhases.Replay, CreatedAt = now, UpdatedAt = now, RequestedBy = "operator",
        };
        var job = await SubmitAsync();
        var state = await BeginAndDrainAsync(job);
        _harness.Clock.Advance(TimeSpan.FromDays(36));

        var drain = () => _steps.Drain.RunAsync(state, Ct);

        (await drain.Should().ThrowAsync<JobsStillOpenException>()).Which.Message.Should().Contain("replay");
        TheTenant.State.Should().Be(TenantState.Active);
    }

    [Fact]
    public async Task The_final_export_packages_every_subject_in_volumes_and_stays_downloadable_for_seven_days_before_the_purge()
    {
        var job = await SubmitAsync(finalExport: true);
        var state = await BeginAndDrainAsync(job);
        var before = _harness.Clock.GetUtcNow();

        do
        {
            state = await _steps.ExportPage.RunAsync(state, Ct);
        }
        while (state.More);

        var exported = _harness.Jobs.Items[job.Id];
        exported.Phase.Should().Be(JobPhases.DownloadWindow);
        exported.ExportParts.Should().Be(6, "five items per subject at two per volume, for two subjects");
        _harness.Objects.Keys.Should().BeEquivalentTo(Enumerable.Range(1, 6).Select(v => $"{job.Id}/{v}"));
        exported.DownloadExpiresAt.Should().Be(before.AddDays(7));
        Timestamps.Parse(state.WaitUntil!).Should().Be(before.AddDays(7));
        var early = () => _steps.PurgePage.RunAsync(state, Ct);
        await early.Should().ThrowAsync<TransientException>("the export was promised downloadable until then");
        _stores.Stores["Keys"].Should().HaveCount(3);
        WaitUntil(state);
        (await _steps.PurgePage.RunAsync(state, Ct)).More.Should().BeTrue();
        _harness.Jobs.Items[job.Id].Phase.Should().Be(JobPhases.Purge);
    }

    [Fact]
    public async Task A_subject_whose_erasure_was_open_at_the_drain_is_left_out_of_the_final_export()
    {
        var now = _harness.Clock.GetUtcNow();
        _harness.Jobs.Items["erasure"] = new Job
        {
            Id = "erasure", TenantId = Tenant, Type = JobType.Deletion, SubjectRef = "ref-bruno", Status = JobStatus.Running, Phase = JobPhases.Validate,
            CreatedAt = now, UpdatedAt = now, RequestedBy = "admin",
        };
        var job = await SubmitAsync(finalExport: true);
        var state = await BeginAndDrainAsync(job);
        WaitUntil(state);
        state = await _steps.Drain.RunAsync(state, Ct);

        do
        {
            state = await _steps.ExportPage.RunAsync(state, Ct);
        }
        while (state.More);

        _harness.Jobs.Items[job.Id].ExportParts.Should().Be(3, "only anna's five items, two per volume");
        _harness.Evidence.Events.Values.Where(e => e.Action == "tenant-offboarding.export-volume")
            .Select(e => e.Details.GetProperty("volumeSubjectRef").GetString()).Distinct().Should().Equal("ref-anna");
    }

    [Fact]
    public async Task A_replayed_last_export_page_answers_as_the_first_run_did()
    {
        var job = await SubmitAsync(finalExport: true);
        var state = await BeginAndDrainAsync(job);
        TenantOffboardingState last;
        do
        {
            last = state;
            state = await _steps.ExportPage.RunAsync(state, Ct);
        }
        while (state.More);

        var replayed = await _steps.ExportPage.RunAsync(last, Ct);

        replayed.More.Should().BeFalse();
        replayed.WaitUntil.Should().Be(state.WaitUntil);
        _harness.Jobs.Items[job.Id].ExportParts.Should().Be(6);
    }

    [Fact]
    public async Task A_replayed_export_page_writes_no_volume_twice()
    {
        var job = await SubmitAsync(finalExport: true);
        var state = await BeginAndDrainAsync(job);
        state = await _steps.ExportPage.RunAsync(state, Ct);
        var beforeSecond = state;
        state = await _steps.ExportPage.RunAsync(state, Ct);

        // The second page runs again with its old input (its answer was lost): it goes on from the cursor saved with its volume.
        state = await _steps.ExportPage.RunAsync(beforeSecond, Ct);
        while (state.More)
        {
            state = await _steps.ExportPage.RunAsync(state, Ct);
        }

        _harness.Jobs.Items[job.Id].ExportParts.Should().Be(6, "the same six volumes as without the replay");
        _harness.Objects.Should().HaveCount(6);
    }

    [Fact]
    public async Task A_byok_tenant_keeps_its_key_and_is_told_to_delete_it()
    {
        _harness.Tenants.Items[Tenant] = TheTenant with { ByokKey = true, RetainedKeyArns = [] };
        var job = await SubmitAsync();

        var state = await RunAsync(job);

        _keys.Scheduled.Should().BeEmpty();
        state.TenantKeyAction.Should().Be(TenantKeyActions.DeleteYourOwnKey);
        using var payload = JsonDocument.Parse(_harness.Evidence.Certificates[(job.Id, "tenant-offboarding")].Payload);
        payload.RootElement.GetProperty("keys").GetProperty("byokKeyArn").GetString().Should().Be(TenantKey);
        payload.RootElement.GetProperty("keys").GetProperty("byokNotice").GetString().Should().Contain("Schedule its deletion");
    }

    [Fact]
    public async Task Terminate_run_twice_ends_in_the_same_state_with_one_scrub()
    {
        var job = await SubmitAsync();
        var state = await RunAsync(job);

        var again = await _steps.Terminate.RunAsync(state, Ct);

        again.CertificateId.Should().Be(state.CertificateId);
        _stores.ScrubsStarted.Should().ContainSingle();
        TheTenant.State.Should().Be(TenantState.Terminated);
    }

    [Fact]
    public async Task A_resumed_execution_is_routed_to_the_phase_its_job_stands_in()
    {
        var job = await SubmitAsync();
        var state = await BeginAndDrainAsync(job);
        state = await _steps.PurgePage.RunAsync(state, Ct);

        var resumed = await _steps.Begin.RunAsync(new TenantOffboardingState(Tenant, job.Id, 1) { Resume = JobPhases.Purge, Cursor = state.Cursor, Page = state.Page }, Ct);

        resumed.Route.Should().Be(OffboardingRoutes.Purge);
        resumed.Cursor.Should().Be(state.Cursor);
        Timestamps.Parse(resumed.WaitUntil!).Should().Be(_harness.Clock.GetUtcNow(), "a resumed run does not wait for writers again");
    }

    [Fact]
    public async Task A_second_offboarding_while_one_is_open_is_refused_naming_it()
    {
        var job = await SubmitAsync();

        var second = await new TenantOffboardingRequests(_harness.Jobs, _workflows, _harness.Clock).SubmitAsync(TheTenant, false, "operator-2", "platform-admin", Ct);

        second.Should().BeOfType<ErasureOpen>().Which.JobId.Should().Be(job.Id);
    }
}
