using System.Text.Json;
using Lethe.Domain.BackupScrub;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Erasure;

/// <summary>
/// The deletion workflow's steps over in-memory ports, with a subject of two records and one file, and the moves a test needs
/// to bring an erasure to the step it is about.
/// </summary>
public sealed class ErasureHarness
{
    public const string Tenant = "t1";

    public const string Subject = "ref-anna";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    public InMemoryJobStore Jobs { get; } = new();

    public InMemoryErasureInventory Inventory { get; } = new();

    public InMemoryPurger Purger { get; } = new();

    public InMemoryManifests Manifests { get; } = new();

    public InMemorySubjectKeys Keys { get; } = new();

    public InMemoryHolds Holds { get; } = new();

    public InMemoryEvidence Evidence { get; } = new();

    public InMemoryTenants Tenants { get; } = new();

    public InMemoryWorkflows Workflows { get; } = new();

    public InMemoryMaskingReader Masking { get; } = new();

    public InMemoryConnectors Connectors { get; } = new();

    public ErasureSteps Steps { get; }

    /// <summary>What the steps told anyone (request.completed, request.failed).</summary>
    public Lethe.Domain.Tests.Notifications.RecordingNotifications Notices { get; } = new();

    public ErasureHarness()
    {
        Steps = new ErasureSteps(
            new ErasurePorts(Jobs, Inventory, Manifests, Purger, Keys, Keys, Holds, Evidence, Evidence, Evidence, Evidence, new BackupScrubRequests(Jobs, Workflows, Tenants, Clock), Tenants, Clock)
            {
                Notices = Notices,
                Masking = Masking,
                Connectors = new Lethe.Domain.Connectors.ConnectorPorts(Connectors, Connectors, Connectors, Connectors, Connectors),
            },
            Workflows);
        Inventory.Holds = Holds;
        Inventory.Data = Purger;
        Inventory.Add(Item("rec-1", "record", "transcript", "dynamodb"));
        Inventory.Add(Item("rec-2", "record", "transcript", "dynamodb"));
        Inventory.Add(Item("file-1", "file", "recording", "s3"));
    }

    public static InventoryItem Item(string id, string kind, string category, string store) =>
        new(id, kind, category, ItemState.Active, Location(id, store), Encrypted: kind == "record", SubjectRef: Subject);

    private static Dictionary<string, string> Location(string id, string store) => store == "dynamodb"
        ? new() { ["store"] = store, ["table"] = "Records", ["key"] = $"RECORD#{id}" }
        : new() { ["store"] = store, ["bucket"] = "Data", ["key"] = $"t1/ref-anna/{id}/f.bin" };

    /// <summary>Submits the erasure and runs it through the soft-delete to the end of its window.</summary>

    public async Task<ErasureState> ThroughTheWindowAsync(int pageSize = 100, bool holdDuringWindow = false, IReadOnlyList<string>? maskedCategories = null)
    {
        var job = await SubmitAsync(maskedCategories);
        var state = await SoftDeleteAllAsync(await Steps.Validate.RunAsync(new ErasureState(Tenant, job.Id, 1) { PageSize = pageSize }, Ct));

        if (holdDuringWindow)
        {
            Holds.HeldSubjects.Add(Subject);
        }

        Clock.Advance(TimeSpan.FromDays(29));
        return await Steps.BeginPurge.RunAsync(state, Ct);
    }

    public async Task<ErasureState> PurgeAllAsync(ErasureState state)
    {
        do
        {
            state = await Steps.PurgePage.RunAsync(state, Ct);
        }
        while (state.More && !state.Held);

        return state;
    }

    public async Task<ErasureState> ShredAllAsync(ErasureState state)
    {
        do
        {
            state = await Steps.Shred.RunAsync(state, Ct);
        }
        while (state.More);

        return state;
    }

    public async Task<JsonElement> CertificateAsync()
    {
        var stored = Evidence.Certificates[("job-1", "deletion")];
        using var document = JsonDocument.Parse(stored.Payload);
        return document.RootElement.Clone();
    }

    public async Task<Job> SubmitAsync(IReadOnlyList<string>? maskedCategories = null)
    {
        var now = Clock.GetUtcNow();
        var job = new Job
        {
            Id = "job-1", TenantId = Tenant, Type = JobType.Deletion, SubjectRef = Subject, Status = JobStatus.Queued, Phase = JobPhases.Validate,
            CreatedAt = now, UpdatedAt = now, PurgeAt = now.AddDays(29), Deadline = now.AddDays(30), RequestedBy = "admin", Reason = "asked for by her lawyer",
            MaskedCategories = maskedCategories ?? [],
        };
        (await Jobs.CreateAsync(job, null, Ct)).Should().BeOfType<JobCreated>();
        return job;
    }

    public async Task<ErasureState> SoftDeleteAllAsync(ErasureState state)
    {
        do
        {
            state = await Steps.SoftDeletePage.RunAsync(state, Ct);
        }
        while (state.More);

        return state;
    }
}
