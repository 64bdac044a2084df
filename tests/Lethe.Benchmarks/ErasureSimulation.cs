using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Benchmarks;

/// <summary>
/// An erasure of 1,000,000 items for one subject, which the local cloud cannot hold: the real step classes of the deletion
/// workflow over in-memory ports, driven in the order workflows/deletion.asl.json runs them (page loops, hand-overs to a
/// fresh execution, the Wait, shred, certificate). Every port call is counted as the AWS calls its DynamoDB/S3 adapter makes
/// for it (<see cref="CallModel"/>), every state as the history events Step Functions records, and every step invocation's
/// allocations as the memory a step process needs. Run at 100,000 and 1,000,000 items: what grows with the subject and what
/// stays flat.
/// </summary>
public static class ErasureSimulation
{
    /// <summary>An inventory item as DynamoDB stores it, in bytes (the benchmark's 100,000 items read in 49 pages of 1 MB).</summary>
    public const int ItemBytes = 514;

    /// <summary>History events per state type, as Step Functions records them for a Lambda task, a Choice, a Wait, a Pass or a Succeed.</summary>
    private const int TaskEvents = 5, ChoiceEvents = 2, WaitEvents = 2, PassEvents = 2, EndEvents = 2, ExecutionEvents = 2;

    public sealed record Result(int Items, int Executions, int MaxEventsPerExecution, long Invocations, long Calls, long PeakStepAllocation, long Purged, TimeSpan Elapsed, IReadOnlyDictionary<string, long> CallsByOperation);

    public static string Report(IReadOnlyList<Result> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var report = new StringBuilder()
            .AppendLine("# Erasure of 1,000,000 items for one subject, simulated")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores.")
            .AppendLine("The real step classes (Lethe.Domain.Erasure.Steps and the kernel's HandOver) over the Domain tests' in-memory ports, with the real page size")
            .AppendLine(CultureInfo.InvariantCulture, $"({WorkflowPaging.PageSize:N0} items, cut by DynamoDB's 1 MB at {ItemBytes} bytes an item) and pages per execution ({WorkflowPaging.DefaultPagesPerExecution:N0}), driven in the order of workflows/deletion.asl.json.")
            .AppendLine("Calls: each port call counted as the AWS calls its adapter makes (transactions of up to 100 actions, BatchGetItem of 100, manifests in parts of up to 350 KB, one Query per 1 MB page, …).")
            .AppendLine(CultureInfo.InvariantCulture, $"History: {TaskEvents} events per Task state, {ChoiceEvents} per Choice, {WaitEvents} per Wait, {PassEvents} per Pass, {EndEvents} per Succeed, {ExecutionEvents} per execution.")
            .AppendLine("Step memory: the most bytes one step invocation allocated (GC.GetAllocatedBytesForCurrentThread), the most a step process needs per call.")
            .AppendLine("Data: 90% records (single table items), 10% files (one object version each).")
            .AppendLine()
            .AppendLine("| items | executions | max history events / execution | step invocations | AWS calls | calls per item | peak step allocation | purged | simulated in |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Items:N0} | {r.Executions} | {r.MaxEventsPerExecution:N0} | {r.Invocations:N0} | {r.Calls:N0} | {(double)r.Calls / r.Items:0.0000} | {r.PeakStepAllocation / 1024.0 / 1024.0:0.0} MB | {r.Purged:N0} | {r.Elapsed.TotalSeconds:0} s |");
        }

        var largest = results[^1];
        report.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Calls by operation at {largest.Items:N0} items:").AppendLine();
        foreach (var (operation, count) in largest.CallsByOperation.OrderByDescending(c => c.Value))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- {operation}: {count:N0}");
        }

        var smallest = results[0];
        var flat = largest.PeakStepAllocation <= smallest.PeakStepAllocation * 3 / 2;
        var historyRoom = largest.MaxEventsPerExecution < 25_000;
        report.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"From {smallest.Items:N0} to {largest.Items:N0} items ({largest.Items / smallest.Items}× the items) the peak step allocation goes from {smallest.PeakStepAllocation / 1024.0 / 1024.0:0.0} MB to {largest.PeakStepAllocation / 1024.0 / 1024.0:0.0} MB: {(flat ? "flat, a page's worth whatever the subject's size" : "it GROWS with the subject")}. The largest execution records {largest.MaxEventsPerExecution:N0} history events ({(historyRoom ? "below" : "ABOVE")} the 25,000-event limit).")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"1M simulation: calls per item {(double)largest.Calls / largest.Items:0.0000}, max history events per execution {largest.MaxEventsPerExecution:N0}, peak step allocation {largest.PeakStepAllocation / 1024.0 / 1024.0:0.0} MB ({smallest.Items:N0} items: {smallest.PeakStepAllocation / 1024.0 / 1024.0:0.0} MB)");
        return report.ToString();
    }

    public static async Task<Result> RunAsync(int items, CancellationToken cancellationToken)
    {
        const string tenant = "sim";
        const string subject = "ref-simulated";
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));
        var calls = new CallModel();
        var jobs = new InMemoryJobStore();
        var inventory = new InMemoryErasureInventory { SyncOnEveryWrite = false };
        var purger = new InMemoryPurger();
        inventory.Data = purger;
        for (var i = 0; i < items; i++)
        {
            var file = i % 10 == 9;
            var id = $"{(file ? "file" : "rec")}_{i:D7}";
            inventory.Truth[id] = new InventoryItem(id, file ? "file" : "record", file ? "recording" : "transcript", ItemState.Active,
                file ? new Dictionary<string, string> { ["store"] = "s3", ["bucket"] = "Data", ["key"] = $"{tenant}/{subject}/{id}/f.bin" }
                     : new Dictionary<string, string> { ["store"] = "dynamodb", ["table"] = "Records", ["key"] = $"RECORD#{id}" },
                Encrypted: !file, SubjectRef: subject);
        }

        inventory.SyncIndex();
        var keys = new InMemorySubjectKeys();
        var evidence = new InMemoryEvidence();
        var workflows = new InMemoryWorkflows();
        var ports = new ErasurePorts(
            calls.Counted<IJobStore>(jobs), calls.Counted<IErasureInventory>(new ByTheMegabyte(inventory)), calls.Counted<IErasureManifests>(new InMemoryManifests()),
            calls.Counted<IDataPurger>(purger), calls.Counted<ISubjectKeyShredder>(keys), calls.Counted<ISurvivorRewrapper>(keys), calls.Counted<IHoldCheck>(new InMemoryHolds()),
            calls.Counted<Domain.Audit.IAuditJournal>(evidence), calls.Counted<Domain.Audit.IAuditChainStore>(evidence), calls.Counted<Domain.Audit.IEvidenceSigner>(evidence),
            calls.Counted<Domain.Certificates.ICertificateStore>(evidence),
            // The scrub's start costs what its ports cost: its job stored, its execution started and named on the job.
            new Domain.BackupScrub.BackupScrubRequests(calls.Counted<IJobStore>(jobs), calls.Counted<IWorkflowStarter>(workflows), calls.Counted<Domain.Tenancy.ITenantRepository>(new InMemoryTenants()), clock),
            calls.Counted<Domain.Tenancy.ITenantRepository>(new InMemoryTenants()), clock);
        var steps = new ErasureSteps(ports, calls.Counted<IWorkflowStarter>(workflows));
        var now = clock.GetUtcNow();
        var job = new Job
        {
            Id = "job-sim", TenantId = tenant, Type = JobType.Deletion, SubjectRef = subject, Status = JobStatus.Queued, Phase = JobPhases.Validate,
            CreatedAt = now, UpdatedAt = now, PurgeAt = now.AddDays(29), Deadline = now.AddDays(30), RequestedBy = "simulation",
        };
        await jobs.CreateAsync(job, null, cancellationToken);

        var watch = Stopwatch.StartNew();
        var run = new Run(steps, inventory, clock, workflows, calls, purger);
        await run.DeletionAsync(new ErasureState(tenant, job.Id, 1), cancellationToken);
        var done = (await jobs.FindAsync(tenant, job.Id, cancellationToken))!;
        if (done.Status != JobStatus.Completed || done.Counts.Purged != items || inventory.Truth.Values.Any(i => i.State != ItemState.Purged))
        {
            throw new InvalidOperationException($"The simulated erasure did not purge everything: {JobStatuses.Name(done.Status)}/{done.Phase}, purged {done.Counts.Purged:N0} of {items:N0}.");
        }

        Console.WriteLine("  peak allocation by step: " + string.Join(", ", run.PeakByStep.OrderByDescending(p => p.Value).Take(3).Select(p => $"{p.Key} {p.Value / 1024.0 / 1024.0:0.0} MB")));
        return new Result(items, run.Executions.Count, run.Executions.Max(), run.Invocations, calls.Total, run.PeakAllocation, done.Counts.Purged, watch.Elapsed, calls.Snapshot());
    }

    /// <summary>Walks workflows/deletion.asl.json's states as Step Functions would, counting history events per execution.</summary>
    private sealed class Run(ErasureSteps steps, InMemoryErasureInventory inventory, FakeTimeProvider clock, InMemoryWorkflows workflows, CallModel calls, InMemoryPurger purger)
    {
        public List<int> Executions { get; } = [];

        public long Invocations { get; private set; }

        public long PeakAllocation { get; private set; }

        public Dictionary<string, long> PeakByStep { get; } = new(StringComparer.Ordinal);

        private int _events;

        private async Task<ErasureState> TaskAsync(IWorkflowStep<ErasureState> step, ErasureState state, CancellationToken cancellationToken)
        {
            _events += TaskEvents;
            Invocations++;
            var before = GC.GetAllocatedBytesForCurrentThread();
            var next = await step.RunAsync(state, cancellationToken);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            PeakAllocation = Math.Max(PeakAllocation, allocated);
            var name = step.GetType().Name;
            PeakByStep[name] = Math.Max(PeakByStep.GetValueOrDefault(name), allocated);
            // The fake's log of deleted data is the simulated cloud's, not the step's: kept to a page (its capacity stays).
            purger.Purged.Clear();
            return next;
        }

        public async Task DeletionAsync(ErasureState start, CancellationToken cancellationToken)
        {
            var state = start;
            while (true)
            {
                _events = ExecutionEvents;
                state = await TaskAsync(steps.Validate, state, cancellationToken);
                _events += ChoiceEvents; // Route
                if (state.Resume != JobPhases.Purge)
                {
                    do
                    {
                        state = await TaskAsync(steps.SoftDeletePage, state, cancellationToken);
                        _events += ChoiceEvents; // SoftDeleteMore
                    }
                    while (state.More && !state.HandOver);

                    if (state.HandOver)
                    {
                        state = await HandOverAsync(state, cancellationToken);
                        continue;
                    }

                    // The recovery window: the index has long caught up when it ends.
                    _events += WaitEvents;
                    clock.Advance(TimeSpan.FromDays(30));
                    inventory.SyncIndex();
                    state = await TaskAsync(steps.BeginPurge, state, cancellationToken);
                    _events += ChoiceEvents; // WasCancelled
                }

                do
                {
                    if (state.Cursor?.StartsWith(Domain.Erasure.Steps.PurgePageStep.SweepCursor, StringComparison.Ordinal) != true)
                    {
                        // The manifests' last pages were written a month ago: the index shows what the purge left.
                        inventory.SyncIndex();
                    }

                    state = await TaskAsync(steps.PurgePage, state, cancellationToken);
                    _events += ChoiceEvents; // PurgeMore
                }
                while (state.More && !state.HandOver);

                if (state.HandOver)
                {
                    state = await HandOverAsync(state, cancellationToken);
                    continue;
                }

                do
                {
                    state = await TaskAsync(steps.Shred, state, cancellationToken);
                    _events += ChoiceEvents; // ShredMore
                }
                while (state.More);

                state = await TaskAsync(steps.Certify, state, cancellationToken);
                state = await TaskAsync(steps.StartBackupScrub, state, cancellationToken);
                _events += PassEvents + TaskEvents; // PrepareNotice, Notify (an SNS publish of the ASL itself)
                calls.Add("SNS.Publish", 1);
                await TaskAsync(steps.Complete, state, cancellationToken);
                _events += EndEvents;
                Executions.Add(_events);
                return;
            }
        }

        private async Task<ErasureState> HandOverAsync(ErasureState state, CancellationToken cancellationToken)
        {
            await TaskAsync(steps.HandOver, state, cancellationToken);
            _events += EndEvents; // HandedOver
            Executions.Add(_events);
            return ErasureState.From(workflows.Inputs[^1]);
        }
    }
}

/// <summary>The inventory as DynamoDB pages it: a page ends at the requested size or at 1 MB, whichever comes first.</summary>
internal sealed class ByTheMegabyte(IErasureInventory inner) : IErasureInventory
{
    private const int PerMegabyte = 1024 * 1024 / ErasureSimulation.ItemBytes;

    public Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> PageAsync(string tenantId, string subjectRef, string? cursor, int limit, CancellationToken cancellationToken) =>
        inner.PageAsync(tenantId, subjectRef, cursor, Math.Min(limit, PerMegabyte), cancellationToken);

    public Task<IReadOnlyList<InventoryItem>> CurrentAsync(string tenantId, IReadOnlyList<string> itemIds, CancellationToken cancellationToken) => inner.CurrentAsync(tenantId, itemIds, cancellationToken);

    public Task SoftDeleteAsync(string tenantId, IReadOnlyList<InventoryItem> items, string jobId, DateTimeOffset purgeAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.SoftDeleteAsync(tenantId, items, jobId, purgeAt, now, cancellationToken);

    public Task<bool> DeleteOneAsync(string tenantId, string subjectRef, InventoryItem item, string jobId, DateTimeOffset purgeAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.DeleteOneAsync(tenantId, subjectRef, item, jobId, purgeAt, now, cancellationToken);

    public Task<IReadOnlySet<string>> PurgeSingleTableItemsAsync(string tenantId, string subjectRef, string jobId, IReadOnlyList<InventoryItem> items, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.PurgeSingleTableItemsAsync(tenantId, subjectRef, jobId, items, now, cancellationToken);

    public Task<IReadOnlySet<string>> PurgeMaskedAsync(
        string tenantId, string subjectRef, string jobId, IReadOnlyList<(InventoryItem Item, StoredRecord Copy)> items, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.PurgeMaskedAsync(tenantId, subjectRef, jobId, items, now, cancellationToken);

    public Task<IReadOnlySet<string>> BeginPurgeAsync(string tenantId, string subjectRef, IReadOnlyList<InventoryItem> items, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.BeginPurgeAsync(tenantId, subjectRef, items, now, cancellationToken);

    public Task MarkPurgedAsync(string tenantId, IReadOnlyList<(string ItemId, long Versions)> items, string jobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.MarkPurgedAsync(tenantId, items, jobId, now, cancellationToken);

    public Task UnhideAsync(string tenantId, IReadOnlyList<InventoryItem> items, string jobId, CancellationToken cancellationToken) =>
        inner.UnhideAsync(tenantId, items, jobId, cancellationToken);

    public Task<bool> RestoreAsync(string tenantId, string itemId, DateTimeOffset now, CancellationToken cancellationToken) => inner.RestoreAsync(tenantId, itemId, now, cancellationToken);

    public Task<InventoryItem?> FindAsync(string tenantId, string itemId, CancellationToken cancellationToken) => inner.FindAsync(tenantId, itemId, cancellationToken);

    public Task<IReadOnlyList<InventoryItem>> DueAsync(string tenantId, DateTimeOffset now, int limit, CancellationToken cancellationToken) => inner.DueAsync(tenantId, now, limit, cancellationToken);
}

/// <summary>
/// Counts port calls as the AWS calls their adapters make (DynamoErasureInventory, DynamoErasureManifests, StorePurger,
/// DynamoJobStore, …), by operation. A port is wrapped by <see cref="Counted{T}"/>; the rules are in <see cref="Cost"/>.
/// </summary>
internal sealed class CallModel
{
    private readonly Dictionary<string, long> _calls = new(StringComparer.Ordinal);
    private long _manifestParts;

    public long Total => _calls.Values.Sum();

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_calls, StringComparer.Ordinal);

    public void Add(string operation, long count)
    {
        if (count > 0)
        {
            _calls[operation] = _calls.GetValueOrDefault(operation) + count;
        }
    }

    public T Counted<T>(T target)
        where T : class
    {
        var proxy = DispatchProxy.Create<T, CountingProxy>();
        ((CountingProxy)(object)proxy).Attach(target, this);
        return proxy;
    }

    private static long Chunks(long n, long size) => (n + size - 1) / size;

    /// <summary>The AWS calls one port call costs, from its arguments (what the adapter batches, and how).</summary>
    public void Cost(MethodInfo method, object?[] args)
    {
        long Count(int index) => args[index] switch
        {
            System.Collections.ICollection c => c.Count,
            _ => 0,
        };

        switch (method.DeclaringType!.Name, method.Name)
        {
            case ("IErasureInventory", "PageAsync"): Add("DynamoDB.Query", 1); break;
            case ("IErasureInventory", "CurrentAsync"): Add("DynamoDB.BatchGetItem", Chunks(Count(1), 100)); break;
            case ("IErasureInventory", "SoftDeleteAsync"):
                // The inventory item, and a record's own item hidden in the same transaction: 100 actions a transaction.
                var actions = ((IReadOnlyList<InventoryItem>)args[1]!).Sum(i => i.Kind == "record" ? 2L : 1L);
                Add("DynamoDB.TransactWriteItems", Chunks(actions, 100));
                break;
            case ("IErasureInventory", "PurgeSingleTableItemsAsync"): Add("DynamoDB.TransactWriteItems", Chunks(Count(3), 49)); break;
            case ("IErasureInventory", "BeginPurgeAsync"): Add("DynamoDB.TransactWriteItems", Chunks(Count(2), 99)); break;
            case ("IErasureInventory", "MarkPurgedAsync"): Add("DynamoDB.TransactWriteItems", Chunks(Count(1), 100)); break;
            case ("IErasureInventory", "FindAsync" or "RestoreAsync" or "DueAsync"): Add("DynamoDB.GetItem", 1); break;
            case ("IErasureManifests", "WriteAsync"):
                // Parts of up to 350 KB: a page of these entries (about 130 bytes each) is one part.
                var parts = Math.Max(1, Chunks(((IReadOnlyList<InventoryItem>)args[3]!).Sum(i => 48L + i.ItemId.Length + i.Kind.Length + i.Category.Length + i.Location.Sum(p => p.Key.Length + p.Value.Length)), 350_000));
                _manifestParts += parts;
                Add("DynamoDB.PutItem", parts);
                break;
            case ("IErasureManifests", "ReadAsync"): Add("DynamoDB.GetItem", 1); break;
            case ("IErasureManifests", "DeleteAfterAsync"): Add("DynamoDB.Query", 1); break;
            case ("IErasureManifests", "DeleteAsync"):
                Add("DynamoDB.Query", Math.Max(1, Chunks(_manifestParts, 1000)));
                Add("DynamoDB.DeleteItem", _manifestParts);
                break;
            case ("IDataPurger", "PurgeAsync"):
                var items = (IReadOnlyList<InventoryItem>)args[1]!;
                var objects = items.LongCount(i => i.Store == "s3");
                Add("S3.ListObjectVersions", Chunks(objects, 1000));
                Add("S3.DeleteObjects", Chunks(objects, 1000));
                Add("DynamoDB.BatchWriteItem", Chunks(items.LongCount(i => i.Store == "dynamodb"), 25));
                Add("DynamoDB.Query", items.LongCount(i => i.Location.ContainsKey("historyPrefix")));
                break;
            case ("IJobStore", "FindAsync" or "OpenErasureAsync"): Add("DynamoDB.GetItem", 1); break;
            case ("IJobStore", "CreateAsync"): Add("DynamoDB.TransactWriteItems", 1); break;
            case ("IJobStore", "ForgetReasonsAsync"): Add("DynamoDB.Query", 1); Add("DynamoDB.UpdateItem", 1); break;
            case ("IJobStore", "ListAsync" or "ListOpenAsync"): Add("DynamoDB.Query", 1); break;
            case ("IJobStore", _): Add("DynamoDB.UpdateItem", 1); break;
            case ("IHoldCheck", _): Add("DynamoDB.Query", 1); break;
            case ("IAuditJournal", _): Add("DynamoDB.PutItem", 1); break;
            case ("IAuditChainStore", _): Add("DynamoDB.GetItem", 1); break;
            case ("IEvidenceSigner", "SignAsync"): Add("KMS.Sign", 1); break;
            case ("ICertificateStore", "FindAsync"): Add("S3.GetObject", 1); break;
            case ("ICertificateStore", "PutOnceAsync"): Add("S3.PutObject", 1); break;
            case ("ITenantRepository", _): Add("DynamoDB.GetItem", 1); break;
            case ("ISubjectKeyShredder", "ShredAsync" or "CommitReplacementAsync"): Add("DynamoDB.GetItem", 1); Add("DynamoDB.TransactWriteItems", 1); break;
            case ("ISubjectKeyShredder", "PrepareReplacementAsync"): Add("DynamoDB.GetItem", 1); Add("KMS.GenerateDataKey", 1); Add("DynamoDB.UpdateItem", 1); break;
            case ("ISurvivorRewrapper", _): Add("DynamoDB.GetItem", 1); Add("DynamoDB.UpdateItem", 1); break;
            case ("IWorkflowStarter", "StartAsync"): Add("StepFunctions.StartExecution", 1); break;
            case ("IWorkflowStarter", _): Add("StepFunctions.DescribeExecution", 1); break;
            default: break; // property reads (a signer's key id) cost nothing
        }
    }
}

/// <summary>The proxy <see cref="CallModel.Counted{T}"/> returns: counts, then forwards to the port.</summary>
#pragma warning disable CA1852 // DispatchProxy derives from it at run time.
internal class CountingProxy : DispatchProxy
#pragma warning restore CA1852
{
    private object? _target;
    private CallModel? _model;

    public void Attach(object target, CallModel model)
    {
        _target = target;
        _model = model;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        _model!.Cost(targetMethod, args ?? []);
        try
        {
            return targetMethod.Invoke(_target, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }
}
