using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.S3.Model;
using Lethe.Aws.Catalog;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Erasure;

/// <summary>
/// A tenant with a fast time scale and data for two subjects (field-encrypted and plain records, a consent, and files with
/// several versions), plus the polling the erasure tests share. Each test builds its own, so tests never share a subject.
/// </summary>
public sealed class ErasureScenario
{
    /// <summary>29 days of recovery window become about <see cref="WindowSeconds"/> seconds.</summary>
    public const int WindowSeconds = 4;
    public static readonly int FastScale = 29 * 86_400 / WindowSeconds;

    private readonly LetheApiFactory _api;
    private readonly LocalCloudFixture _cloud;

    private ErasureScenario(LetheApiFactory api, LocalCloudFixture cloud, string tenant)
    {
        _api = api;
        _cloud = cloud;
        Tenant = tenant;
        Service = api.ClientWithToken(tenant, Roles.Service, "coaching-app");
        Admin = api.ClientWithToken(tenant, Roles.TenantAdmin, "admin-ines");
    }

    public string Tenant { get; }

    public HttpClient Service { get; }

    public HttpClient Admin { get; }

    public Dictionary<string, List<string>> Records { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, StoredFile> Files { get; } = new(StringComparer.Ordinal);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<ErasureScenario> CreateAsync(LetheApiFactory api, LocalCloudFixture cloud, string prefix, int timeScale = 0)
    {
        var tenant = $"{prefix}-{Guid.NewGuid():N}"[..24];
        using var platform = api.PlatformAdmin();
        (await platform.PutAsJsonAsync($"/v1/tenants/{tenant}", new { name = "Erasure test tenant", timeScale = timeScale == 0 ? FastScale : timeScale }, Ct))
            .EnsureSuccessStatusCode();
        return new ErasureScenario(api, cloud, tenant);
    }

    /// <summary>Stores for the subject: two transcripts (field-encrypted), one plain note, a consent, and a file with <paramref name="fileVersions"/> versions.</summary>
    public async Task SeedAsync(string subject, int fileVersions = 3)
    {
        var ids = Records[subject] = [];
        foreach (var body in new object[]
        {
            new { category = "transcript", visibility = "coach_only", fields = new Dictionary<string, string> { ["body"] = $"Coach: hello {subject}. Client: call me on +44 20 7946 0958" } },
            new { category = "transcript", visibility = "coach_only", fields = new Dictionary<string, string> { ["body"] = $"Second session of {subject}" } },
            new { category = "note", visibility = "shared", fields = new Dictionary<string, string> { ["text"] = $"Plain note about {subject}" } },
        })
        {
            var created = await Service.PostAsJsonAsync($"/v1/tenants/{Tenant}/subjects/{subject}/records", body, Ct);
            created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
            ids.Add((await created.ReadJsonAsync()).GetProperty("id").GetString()!);
        }

        (await Admin.PutAsJsonAsync($"/v1/tenants/{Tenant}/subjects/{subject}/consents/ai-processing", new { granted = true }, Ct)).EnsureSuccessStatusCode();

        var names = ResourceNames.FromEnvironment();
        using var s3 = _cloud.Cloud.CreateS3Client();
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        using var kms = _cloud.Cloud.CreateKmsClient();
        var tenantKey = await new KmsTenantKeys(kms, ResourceNames.KeyAliasPrefix()).GetOrCreateAsync(Tenant, Ct);
        var subjectRef = await SubjectRefAsync(subject);
        var files = new S3SubjectFiles(s3, dynamo, names.Bucket(ResourceCatalog.Data), names.Table(ResourceCatalog.Inventory), TimeProvider.System);
        var itemId = $"file_{Guid.NewGuid():N}";
        for (var version = 1; version <= fileVersions; version++)
        {
            Files[subject] = await files.PutAsync(Tenant, tenantKey, subjectRef, itemId, "session-audio.txt", "recording",
                System.Text.Encoding.UTF8.GetBytes($"version {version} of {subject}'s recording"), "text/plain", Ct);
        }
    }

    /// <summary>A file of the subject with <paramref name="versions"/> versions, due for the retention sweep at <paramref name="retainUntil"/>.</summary>
    public async Task<StoredFile> PutFileAsync(string subjectRef, int versions, DateTimeOffset retainUntil, string category = "recording")
    {
        var names = ResourceNames.FromEnvironment();
        using var s3 = _cloud.Cloud.CreateS3Client();
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        using var kms = _cloud.Cloud.CreateKmsClient();
        var tenantKey = await new KmsTenantKeys(kms, ResourceNames.KeyAliasPrefix()).GetOrCreateAsync(Tenant, Ct);
        var files = new S3SubjectFiles(s3, dynamo, names.Bucket(ResourceCatalog.Data), names.Table(ResourceCatalog.Inventory), TimeProvider.System);
        var itemId = $"file_{Guid.NewGuid():N}";
        StoredFile? stored = null;
        for (var version = 1; version <= versions; version++)
        {
            stored = await files.PutAsync(Tenant, tenantKey, subjectRef, itemId, "recording.txt", category,
                System.Text.Encoding.UTF8.GetBytes($"version {version}"), "text/plain", Ct, retainUntil);
        }

        return stored!;
    }

    /// <summary>The subject's ref, as the inventory of this tenant lists it.</summary>
    /// <summary>The tenant's audit events of <paramref name="action"/>, read until there are <paramref name="atLeast"/> (the chainer links them shortly after) or 90 s passed.</summary>
    public async Task<List<JsonElement>> AuditEventuallyAsync(string action, int atLeast)
    {
        for (var attempt = 0; ; attempt++)
        {
            var page = await (await Admin.GetAsync($"/v1/tenants/{Tenant}/audit?limit=1000", Ct)).ReadJsonAsync();
            var events = page.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("action").GetString() == action).Select(e => e.Clone()).ToList();
            if (events.Count >= atLeast || attempt > 450)
            {
                return events;
            }

            await Task.Delay(200, Ct);
        }
    }

    /// <summary>
    /// An active inventory item of <paramref name="subject"/> in a store no purger knows (a tape library): an erasure's purge
    /// fails on it, so the job ends failed listing it. Returns its id.
    /// </summary>
    public async Task<string> PutUnpurgeableItemAsync(string subject)
    {
        var subjectRef = await SubjectRefAsync(subject);
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var stuck = $"file_{Guid.NewGuid():N}";
        await dynamo.PutItemAsync(new Amazon.DynamoDBv2.Model.PutItemRequest
        {
            TableName = InventoryTable,
            Item = new()
            {
                ["pk"] = new() { S = $"TENANT#{Tenant}" },
                ["sk"] = new() { S = $"ITEM#{stuck}" },
                ["itemId"] = new() { S = stuck },
                ["kind"] = new() { S = "file" },
                ["subjectRef"] = new() { S = subjectRef },
                ["category"] = new() { S = "recording" },
                ["state"] = new() { S = "active" },
                ["classification"] = new() { S = "confidential" },
                ["location"] = new() { M = new() { ["store"] = new() { S = "tape-library" }, ["key"] = new() { S = $"vault/{subject}.tar" } } },
                ["subjectPk"] = new() { S = $"TENANT#{Tenant}#SUBJECT#{subjectRef}" },
                ["subjectSk"] = new() { S = $"2026-01-01T00:00:00.000Z#{stuck}" },
            },
        }, Ct);
        return stuck;
    }

    public static string InventoryTable => Lethe.Aws.Configuration.ResourceNames.FromEnvironment().Table(Lethe.Catalog.ResourceCatalog.Inventory);

    public async Task<string> SubjectRefAsync(string subject)
    {
        var items = await (await Admin.GetAsync($"/v1/tenants/{Tenant}/items?limit=500", Ct)).ReadJsonAsync();
        var recordId = Records[subject][0];
        return items.GetProperty("items").EnumerateArray().First(i => i.GetProperty("id").GetString() == recordId).GetProperty("subjectRef").GetString()!;
    }

    public async Task<HttpResponseMessage> SubmitErasureAsync(string subject, HttpClient? client = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{Tenant}/requests")
        {
            Content = JsonContent.Create(new { type = "deletion", subjectId = subject, reason = "GDPR Art. 17 request" }),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await (client ?? Service).SendAsync(request, Ct);
    }

    public async Task<JsonElement> JobAsync(string jobId) =>
        await (await Admin.GetAsync($"/v1/tenants/{Tenant}/requests/{jobId}", Ct)).ReadJsonAsync();

    /// <summary>Polls the job until <paramref name="done"/> holds, recording every (phase, percent) seen on the way.</summary>
    public async Task<(JsonElement Job, List<(string Phase, int Percent)> Seen)> WaitForJobAsync(string jobId, Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var seen = new List<(string, int)>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            var job = await JobAsync(jobId);
            var sample = (job.GetProperty("phase").GetString()!, job.GetProperty("progress").GetProperty("percent").GetInt32());
            if (seen.Count == 0 || seen[^1] != sample)
            {
                seen.Add(sample);
            }

            if (done(job))
            {
                return (job, seen);
            }

            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Job {jobId} did not get there in time; last seen: {job}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(150), CancellationToken.None);
        }
    }

    public static bool IsClosed(JsonElement job) => job.GetProperty("status").GetString() is "completed" or "failed" or "cancelled";

    public async Task<List<string>> ObjectVersionsAsync(StoredFile file)
    {
        using var s3 = _cloud.Cloud.CreateS3Client();
        var listed = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = file.Bucket, Prefix = file.Key }, Ct);
        return (listed.Versions ?? []).Where(v => v.Key == file.Key).Select(v => v.VersionId).ToList();
    }

    public async Task<bool> RecordItemExistsAsync(string recordId) => await RecordRowAsync(recordId) is not null;

    /// <summary>The record's row in the Records table as stored (null when there is none): what anyone with table access sees.</summary>
    public async Task<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>?> RecordRowAsync(string recordId)
    {
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var response = await dynamo.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Records),
            Key = DynamoKeys.Of(Tenant, $"RECORD#{recordId}"),
            ConsistentRead = true,
        }, Ct);
        return response.IsItemSet && response.Item.Count > 0 ? response.Item : null;
    }

    public async Task<bool> KekExistsAsync(string subjectRef)
    {
        using var dynamo = _cloud.Cloud.CreateDynamoDbClient();
        var response = await dynamo.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
        {
            TableName = ResourceNames.FromEnvironment().Table(ResourceCatalog.Keys),
            Key = DynamoKeys.Of(Tenant, $"KEK#{subjectRef}"),
            ConsistentRead = true,
        }, Ct);
        return response.IsItemSet && response.Item.Count > 0;
    }

    /// <summary>Invokes a handler through the local cloud's Lambda API, as a schedule or a workflow would.</summary>
    public async Task<(JsonElement Payload, bool Failed)> InvokeAsync(string handler, string payload)
    {
        using var http = new HttpClient();
        using var invoked = await http.PostAsync(new Uri(_cloud.Cloud.Endpoint, $"2015-03-31/functions/{handler}/invocations"),
            new StringContent(payload, System.Text.Encoding.UTF8, "application/json"), Ct);
        return (await invoked.ReadJsonAsync(), invoked.Headers.Contains("X-Amz-Function-Error"));
    }

    public async Task<string> SubmitAndWaitForWindowAsync(string subject)
    {
        var submitted = await SubmitErasureAsync(subject);
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync(Ct));
        var jobId = (await submitted.ReadJsonAsync()).GetProperty("id").GetString()!;
        await WaitForJobAsync(jobId, j => j.GetProperty("phase").GetString() != "validate" && j.GetProperty("phase").GetString() != "soft-delete" || IsClosed(j));
        return jobId;
    }

    public Task<HttpResponseMessage> GetRecordAsync(string subject, int index) =>
        Service.GetAsync($"/v1/tenants/{Tenant}/subjects/{subject}/records/{Records[subject][index]}", Ct);

    public Task<HttpResponseMessage> ListRecordsAsync(string subject) => Service.GetAsync($"/v1/tenants/{Tenant}/subjects/{subject}/records", Ct);

    public LetheApiFactory Api => _api;
}
