using Lethe.Domain.Errors;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Exports;

/// <summary>
/// The export workflow's steps over in-memory ports: a subject with <see cref="InMemoryExportSource.Sample"/>'s records,
/// volumes of at most two items, and a store that keeps completed uploads by job and volume.
/// </summary>
internal sealed class ExportHarness : IExportInventory, IExportStore, IExportVolumeRegistry
{
    public const string Tenant = "t1";
    public const string Subject = "ref-anna";

    public ExportHarness()
    {
        Tenants.Items[Tenant] = new Tenant(Tenant, "Acme", TenantState.Active, Clock.GetUtcNow(), 1);
        Steps = new ExportSteps(new ExportPorts(Jobs, Tenants, this, this, this, Evidence, Evidence, new ExportLimits(long.MaxValue, 2), Clock));
    }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    public InMemoryJobStore Jobs { get; } = new();

    public InMemoryTenants Tenants { get; } = new();

    public InMemoryEvidence Evidence { get; } = new();

    public InMemoryExportSource Source { get; } = InMemoryExportSource.Sample();

    public ExportSteps Steps { get; }

    /// <summary>Completed uploads by <c>{jobId}/{volume}</c>.</summary>
    public Dictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

    /// <summary>The volumes' inventory items and their states (an erasure may hide or purge them).</summary>
    public Dictionary<string, ItemState> Volumes { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, the subject's erasure lock stands: registering a volume is refused.</summary>
    public bool ErasureOpen { get; set; }

    /// <summary>Runs after an upload completes, before the step looks at its volume again (an erasure racing the upload).</summary>
    public Action<string>? AfterUpload { get; set; }

    public async Task<Job> SubmitAsync(JobType type = JobType.Export, string format = "zip")
    {
        var now = Clock.GetUtcNow();
        var job = new Job
        {
            Id = "exp-1", TenantId = Tenant, Type = type, SubjectRef = Subject, Status = JobStatus.Queued, Phase = JobPhases.Collect, Format = format,
            CreatedAt = now, UpdatedAt = now, Deadline = now.AddDays(30), RequestedBy = "admin",
        };
        (await Jobs.CreateAsync(job, null, Ct)).Should().BeOfType<JobCreated>();
        return job;
    }

    public async Task<ExportState> PackageAllAsync(ExportState state)
    {
        do
        {
            state = await Steps.Package.RunAsync(state, Ct);
        }
        while (state.More);

        return state;
    }

    private List<string> Positions => [.. Source.Records.Select(r => r.Id).Concat(Source.Files.Keys.Select(f => f.ItemId)).Order(StringComparer.Ordinal)];

    Task<long> IExportInventory.CountAsync(string tenantId, string subjectRef, CancellationToken cancellationToken) => Task.FromResult((long)Positions.Count);

    Task<VolumePlan> IExportInventory.PlanVolumeAsync(string tenantId, string subjectRef, string? afterPosition, ExportLimits limits, CancellationToken cancellationToken)
    {
        var left = Positions.Where(p => afterPosition is null || string.CompareOrdinal(p, afterPosition) > 0).ToList();
        var taken = left.Take(limits.VolumeItems).ToList();
        return Task.FromResult(new VolumePlan(afterPosition, taken.LastOrDefault(), taken.Count, taken.Count * ExportLimits.RecordSizeEstimate, left.Count > taken.Count));
    }

    IExportSource IExportInventory.Open(Tenant tenant, string subjectRef, VolumePlan plan, bool first)
    {
        var inVolume = Positions.Where(p => (plan.AfterPosition is null || string.CompareOrdinal(p, plan.AfterPosition) > 0) && string.CompareOrdinal(p, plan.LastPosition) <= 0).ToHashSet(StringComparer.Ordinal);
        var source = new InMemoryExportSource();
        source.Records.AddRange(Source.Records.Where(r => inVolume.Contains(r.Id)));
        foreach (var (file, bytes) in Source.Files.Where(f => inVolume.Contains(f.Key.ItemId)))
        {
            source.Files[file] = bytes;
        }

        if (first)
        {
            source.Consents.AddRange(Source.Consents);
        }

        return source;
    }

    Task<IExportUpload> IExportStore.BeginAsync(Tenant tenant, string jobId, int volume, ExportFormat format, CancellationToken cancellationToken) =>
        Task.FromResult<IExportUpload>(new Upload(this, $"{jobId}/{volume}"));

    Task IExportStore.DiscardAsync(string tenantId, string jobId, int volume, ExportFormat format, CancellationToken cancellationToken)
    {
        Objects.Remove($"{jobId}/{volume}");
        return Task.CompletedTask;
    }

    Task IExportVolumeRegistry.RegisterAsync(string tenantId, string subjectRef, string jobId, int volume, ExportFormat format, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (ErasureOpen)
        {
            throw new ErasureInProgressException(null);
        }

        Volumes.TryAdd(IExportVolumeRegistry.ItemId(jobId, volume), ItemState.Active);
        return Task.CompletedTask;
    }

    Task<ItemState?> IExportVolumeRegistry.StateAsync(string tenantId, string jobId, int volume, CancellationToken cancellationToken) =>
        Task.FromResult(Volumes.TryGetValue(IExportVolumeRegistry.ItemId(jobId, volume), out var state) ? state : (ItemState?)null);

    Task<bool> IExportVolumeRegistry.IsAvailableAsync(string tenantId, string jobId, int volume, CancellationToken cancellationToken) =>
        Task.FromResult(Volumes.TryGetValue(IExportVolumeRegistry.ItemId(jobId, volume), out var state) && state == ItemState.Active);

    private sealed class Upload(ExportHarness harness, string key) : IExportUpload
    {
        private readonly MemoryStream _content = new();

        public Stream Content => _content;

        public Task CompleteAsync(CancellationToken cancellationToken)
        {
            harness.Objects[key] = _content.ToArray();
            harness.AfterUpload?.Invoke(key);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => _content.DisposeAsync();
    }
}
