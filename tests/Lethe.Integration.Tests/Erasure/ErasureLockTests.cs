using Amazon.DynamoDBv2.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Exports;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Domain.Classification;
using Lethe.Domain.Crypto;
using Lethe.Domain.Errors;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Erasure;

/// <summary>
/// Every write for a subject checks the subject's erasure lock inside its own transaction (API.md, Requests). Each test plants
/// the lock directly, as an erasure submitted after any read a writer might have made would, and drives the real adapter: the
/// write is refused naming the erasure, and nothing of it is stored.
/// </summary>
public sealed class ErasureLockTests(LocalCloudFixture cloud)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly ResourceNames Names = ResourceNames.FromEnvironment();

    private readonly string _tenant = $"lk-{Guid.NewGuid():N}"[..20];

    private readonly string _subjectRef = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    private async Task<string> PlantLockAsync()
    {
        var jobId = $"job_lock_{Guid.NewGuid():N}";
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var item = DynamoKeys.Of(_tenant, ErasureLocks.SortKey(_subjectRef));
        item["jobId"] = new AttributeValue { S = jobId };
        await dynamo.PutItemAsync(new PutItemRequest { TableName = Names.Table(ResourceCatalog.Jobs), Item = item }, Ct);
        return jobId;
    }

    private async Task<bool> ExistsAsync(TableDefinition table, string sortKey)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = Names.Table(table), Key = DynamoKeys.Of(_tenant, sortKey), ConsistentRead = true }, Ct);
        return response.IsItemSet && response.Item.Count > 0;
    }

    private static ErasureLocks Locks(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo) => new(dynamo, Names.Table(ResourceCatalog.Jobs));

    [Fact]
    public async Task A_record_write_is_refused_by_its_own_transaction_and_stores_neither_record_inventory_nor_directory_entry()
    {
        var jobId = await PlantLockAsync();
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var store = new DynamoRecordStore(dynamo, Names.Table(ResourceCatalog.Records), Names.Table(ResourceCatalog.Inventory), Names.Table(ResourceCatalog.Keys), Locks(dynamo), Names.Table(ResourceCatalog.Tenants));
        var now = DateTimeOffset.UtcNow;
        var record = new StoredRecord("rec_late", _tenant, _subjectRef, "note", "shared", ClassificationLevel.Internal, false, [], false,
            new Dictionary<string, string> { ["text"] = "late" }, new Dictionary<string, byte[]>(), now, now.AddDays(730), ItemState.Active, "coaching-app");

        var write = async () => await store.CreateAsync(record, [1, 2, 3], "kek-none", Ct);

        (await write.Should().ThrowAsync<ErasureInProgressException>()).Which.JobId.Should().Be(jobId);
        (await ExistsAsync(ResourceCatalog.Records, "RECORD#rec_late")).Should().BeFalse();
        (await ExistsAsync(ResourceCatalog.Inventory, "ITEM#rec_late")).Should().BeFalse();
        (await ExistsAsync(ResourceCatalog.Keys, $"SUBJECT#{_subjectRef}")).Should().BeFalse("the directory entry is part of the same transaction");
    }

    [Fact]
    public async Task A_consent_change_is_refused_by_its_own_transaction_and_leaves_no_consent_or_history()
    {
        var jobId = await PlantLockAsync();
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var store = new DynamoConsentStore(dynamo, Names.Table(ResourceCatalog.Records), Names.Table(ResourceCatalog.Inventory), Locks(dynamo));

        var write = async () => await store.SetAsync(_tenant, _subjectRef, new ConsentState("marketing", true, DateTimeOffset.UtcNow, "admin"), Ct);

        (await write.Should().ThrowAsync<ErasureInProgressException>()).Which.JobId.Should().Be(jobId);
        (await store.HistoryAsync(_tenant, _subjectRef, Ct)).Should().BeEmpty();
        (await ExistsAsync(ResourceCatalog.Records, $"CONSENT#{_subjectRef}#marketing")).Should().BeFalse();
    }

    [Fact]
    public async Task A_subject_key_is_not_created_for_a_subject_under_erasure()
    {
        var jobId = await PlantLockAsync();
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        using var kms = cloud.Cloud.CreateKmsClient();
        var tenantKey = await new KmsTenantKeys(kms, ResourceNames.KeyAliasPrefix()).GetOrCreateAsync(_tenant, Ct);
        var keys = new KmsKeyHierarchy(kms, dynamo, Names.Table(ResourceCatalog.Keys), new KekCache(TimeProvider.System, TimeSpan.FromMinutes(1), 10), TimeProvider.System,
            creationGuard: Locks(dynamo));

        var create = async () => await keys.GetOrCreateSubjectKekAsync(_tenant, tenantKey, _subjectRef, Ct);

        (await create.Should().ThrowAsync<ErasureInProgressException>()).Which.JobId.Should().Be(jobId);
        (await ExistsAsync(ResourceCatalog.Keys, $"KEK#{_subjectRef}")).Should().BeFalse();
    }

    [Fact]
    public async Task An_export_volume_is_not_registered_for_a_subject_under_erasure()
    {
        var jobId = await PlantLockAsync();
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var volumes = new DynamoExportVolumes(dynamo, Names.Table(ResourceCatalog.Inventory), Locks(dynamo));

        var register = async () => await volumes.RegisterAsync(_tenant, _subjectRef, "job_export_1", 1, ExportFormat.Zip, DateTimeOffset.UtcNow, Ct);

        (await register.Should().ThrowAsync<ErasureInProgressException>()).Which.JobId.Should().Be(jobId);
        (await volumes.StateAsync(_tenant, "job_export_1", 1, Ct)).Should().BeNull();
    }

    [Fact]
    public async Task An_export_job_is_not_created_for_a_subject_under_erasure()
    {
        var jobId = await PlantLockAsync();
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var jobs = new DynamoJobStore(dynamo, Names.Table(ResourceCatalog.Jobs), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var export = new Job
        {
            Id = Job.NewId(now), TenantId = _tenant, Type = JobType.Export, SubjectRef = _subjectRef, Format = "zip",
            Status = JobStatus.Queued, Phase = JobPhases.Collect, CreatedAt = now, UpdatedAt = now, RequestedBy = "coaching-app",
        };

        var outcome = await jobs.CreateAsync(export, null, Ct);

        outcome.Should().Be(new ErasureAlreadyOpen(jobId));
        (await jobs.FindAsync(_tenant, export.Id, Ct)).Should().BeNull();
    }
}
