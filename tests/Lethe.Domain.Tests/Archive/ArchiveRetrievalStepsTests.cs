using Lethe.Domain.Archive;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Archive;

/// <summary>S3's restore as the retrieval sees it: restores take <see cref="RestoreTakes"/>; readable items are kept by id.</summary>
internal sealed class InMemoryRestorer(InMemoryErasureInventory inventory, TimeProvider clock) : IArchiveRestorer
{
    public Dictionary<string, DateTimeOffset> RequestedAt { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, DateTimeOffset> Readable { get; } = new(StringComparer.Ordinal);

    public TimeSpan RestoreTakes { get; set; } = TimeSpan.FromHours(4);

    public Task RequestRestoreAsync(Tenant tenant, InventoryItem item, string tier, TimeSpan keepFor, CancellationToken cancellationToken)
    {
        RequestedAt.TryAdd(item.ItemId, clock.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task<bool> IsRestoredAsync(InventoryItem item, CancellationToken cancellationToken) =>
        Task.FromResult(RequestedAt.TryGetValue(item.ItemId, out var at) && clock.GetUtcNow() >= at + RestoreTakes);

    public Task<bool> MakeReadableAsync(Tenant tenant, InventoryItem item, string jobId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        if (inventory.Truth[item.ItemId].State != ItemState.Archived)
        {
            return Task.FromResult(false);
        }

        inventory.Truth[item.ItemId] = inventory.Truth[item.ItemId] with { RetrievedUntil = until, RetrievedBy = jobId };
        Readable[item.ItemId] = until;
        return Task.FromResult(true);
    }

    public Task RearchiveAsync(string tenantId, InventoryItem item, string jobId, CancellationToken cancellationToken)
    {
        Readable.Remove(item.ItemId);
        if (inventory.Truth[item.ItemId].RetrievedBy == jobId)
        {
            inventory.Truth[item.ItemId] = inventory.Truth[item.ItemId] with { RetrievedUntil = null, RetrievedBy = null };
        }

        return Task.CompletedTask;
    }
}

public sealed class ArchiveRetrievalStepsTests
{
    private const string Tenant = "t1";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryErasureInventory _inventory = new();
    private readonly InMemoryEvidence _evidence = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly InMemoryTenants _tenants = new();
    private readonly InMemoryRestorer _restorer;
    private readonly ArchiveRetrievalSteps _steps;
    private readonly ArchiveRetrievalRequests _requests;

    public ArchiveRetrievalStepsTests()
    {
        _tenants.Items[Tenant] = new Tenant(Tenant, "Acme", TenantState.Active, Start.AddYears(-3), 1);
        _restorer = new InMemoryRestorer(_inventory, _clock);
        _steps = new ArchiveRetrievalSteps(new ArchiveRetrievalPorts(_jobs, _inventory, _restorer, _tenants, _evidence, _clock));
        _requests = new ArchiveRetrievalRequests(_jobs, _inventory, _workflows, _clock);
    }

    private void Stored(string id, ItemState state = ItemState.Archived) =>
        _inventory.Add(new InventoryItem(id, "record", "transcript", state, new Dictionary<string, string> { ["store"] = "s3", ["bucket"] = "Data", ["key"] = $"t1/ann/archive/{id}" }, SubjectRef: "ann"));

    private async Task<Job> SubmitAsync(string itemId) =>
        (await _requests.SubmitAsync(_tenants.Items[Tenant], itemId, "Bulk", "admin", "tenant-admin", Ct)).Should().BeOfType<RetrievalAccepted>().Subject.Job;

    /// <summary>Runs the ASL's loop: Begin, then wait and check until restored, make readable, wait for the window, re-archive.</summary>
    private async Task<ArchiveRetrievalState> RunAsync(Job job, Action? whileReadable = null)
    {
        var state = await _steps.Begin.RunAsync(new ArchiveRetrievalState(Tenant, job.Id, 1), Ct);
        while (!state.Restored)
        {
            _clock.SetUtcNow(DateTimeOffset.Parse(state.CheckAt!, System.Globalization.CultureInfo.InvariantCulture));
            state = await _steps.CheckRestore.RunAsync(state, Ct);
        }

        state = await _steps.MakeReadable.RunAsync(state, Ct);
        whileReadable?.Invoke();
        _clock.SetUtcNow(DateTimeOffset.Parse(state.ReadableUntil!, System.Globalization.CultureInfo.InvariantCulture));
        return await _steps.Rearchive.RunAsync(state, Ct);
    }

    [Fact]
    public async Task A_retrieval_restores_the_item_keeps_it_readable_seven_days_then_archives_it_again()
    {
        Stored("r1");
        var job = await SubmitAsync("r1");
        DateTimeOffset? readableUntil = null;

        await RunAsync(job, () => readableUntil = _restorer.Readable["r1"]);

        readableUntil.Should().Be(Start.AddHours(4).AddDays(7), "restored after four hours (the first look after it), then readable for seven days");
        _restorer.Readable.Should().BeEmpty("the window is over");
        _inventory.Truth["r1"].Should().Match<InventoryItem>(i => i.State == ItemState.Archived && i.RetrievedUntil == null);
        var done = _jobs.Items[job.Id];
        done.Should().Match<Job>(j => j.Status == JobStatus.Completed && j.Phase == JobPhases.Done && j.RetrievalTier == "Bulk");
        _evidence.Events.Values.Select(e => e.Action).Should().Contain(["archive.restore", "archive.readable", "archive.rearchive"]);
        (await _requests.SubmitAsync(_tenants.Items[Tenant], "r1", "Standard", "admin", "tenant-admin", Ct)).Should().BeOfType<RetrievalAccepted>("the item's lock ended with the job");
    }

    [Fact]
    public async Task A_second_retrieval_of_an_item_while_one_is_open_names_the_open_one()
    {
        Stored("r1");
        var first = await SubmitAsync("r1");

        var second = await _requests.SubmitAsync(_tenants.Items[Tenant], "r1", "Standard", "admin", "tenant-admin", Ct);

        second.Should().BeOfType<RetrievalInProgress>().Which.JobId.Should().Be(first.Id);
        _workflows.Started.Should().ContainSingle();
    }

    [Fact]
    public async Task A_retrieval_is_cancellable_while_it_restores_and_not_once_its_item_is_readable()
    {
        Stored("r1");
        var job = await SubmitAsync("r1");
        var state = await _steps.Begin.RunAsync(new ArchiveRetrievalState(Tenant, job.Id, 1), Ct);
        _jobs.Items[job.Id].IsCancellable.Should().BeTrue();
        _clock.Advance(TimeSpan.FromHours(5));
        await _steps.MakeReadable.RunAsync(await _steps.CheckRestore.RunAsync(state, Ct), Ct);

        _jobs.Items[job.Id].IsCancellable.Should().BeFalse("a stopped execution would leave the copy readable until its window ends");
    }

    [Fact]
    public async Task Only_an_archived_item_of_the_tenant_is_retrieved()
    {
        Stored("a1", ItemState.Active);

        (await _requests.SubmitAsync(_tenants.Items[Tenant], "a1", "Standard", "admin", "tenant-admin", Ct)).Should().BeOfType<RetrievalItemNotArchived>()
            .Which.Item.State.Should().Be(ItemState.Active);
        (await _requests.SubmitAsync(_tenants.Items[Tenant], "nope", "Standard", "admin", "tenant-admin", Ct)).Should().BeOfType<RetrievalItemUnknown>();
        _jobs.Items.Should().BeEmpty();
    }

    [Fact]
    public async Task A_restore_that_takes_longer_than_S3_ever_does_fails_the_retrieval()
    {
        Stored("r1");
        _restorer.RestoreTakes = TimeSpan.FromDays(3);
        var job = await SubmitAsync("r1");
        var state = await _steps.Begin.RunAsync(new ArchiveRetrievalState(Tenant, job.Id, 1), Ct);

        var looks = 0;
        var poll = async () =>
        {
            while (true)
            {
                _clock.SetUtcNow(DateTimeOffset.Parse(state.CheckAt!, System.Globalization.CultureInfo.InvariantCulture));
                state = await _steps.CheckRestore.RunAsync(state, Ct);
                looks++;
            }
        };

        await poll.Should().ThrowAsync<RestoreTimedOutException>();
        looks.Should().Be(49, "hourly looks for the 48 hours S3 may take, then one more interval");
    }

    [Fact]
    public async Task An_item_an_erasure_hid_while_it_was_restored_is_not_made_readable()
    {
        Stored("r1");
        var job = await SubmitAsync("r1");
        var state = await _steps.Begin.RunAsync(new ArchiveRetrievalState(Tenant, job.Id, 1), Ct);
        _inventory.Truth["r1"] = _inventory.Truth["r1"] with { State = ItemState.SoftDeleted, HiddenFrom = ItemState.Archived };
        _clock.Advance(TimeSpan.FromHours(5));
        state = await _steps.CheckRestore.RunAsync(state, Ct);

        var readable = () => _steps.MakeReadable.RunAsync(state, Ct);

        await readable.Should().ThrowAsync<ItemNotArchivedException>();
        _restorer.Readable.Should().BeEmpty();
    }

    [Fact]
    public async Task Make_readable_run_again_after_a_crash_before_the_job_moved_keeps_the_window_it_set_first()
    {
        Stored("r1");
        var job = await SubmitAsync("r1");
        var state = await _steps.Begin.RunAsync(new ArchiveRetrievalState(Tenant, job.Id, 1), Ct);
        _clock.Advance(TimeSpan.FromHours(5));
        state = await _steps.CheckRestore.RunAsync(state, Ct);
        var first = await _steps.MakeReadable.RunAsync(state, Ct);
        // The crash: the item was made readable, the job never moved to readable.
        _jobs.Items[job.Id] = _jobs.Items[job.Id] with { Phase = JobPhases.Restore, DownloadExpiresAt = null };
        _clock.Advance(TimeSpan.FromMinutes(10));

        var again = await _steps.MakeReadable.RunAsync(state, Ct);

        again.ReadableUntil.Should().Be(first.ReadableUntil);
        _restorer.Readable["r1"].Should().Be(Start.AddHours(5).AddDays(7));
        _jobs.Items[job.Id].DownloadExpiresAt.Should().Be(Start.AddHours(5).AddDays(7));
    }
}
