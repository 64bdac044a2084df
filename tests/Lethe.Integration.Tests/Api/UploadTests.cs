using System.Net;
using System.Net.Http.Json;
using System.Text;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Api;

/// <summary>
/// Uploads (API.md, Records; issue 16, item 1): a presigned PUT into the ingest bucket under the tenant's prefix, the upload's
/// status, and the upload as the subject's data (an erasure refuses new ones and purges the row with its file name).
/// </summary>
public sealed class UploadTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Vtt = Encoding.UTF8.GetBytes("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Coach>Hello</v>\n");

    private static object Body(string subject, int size) => new { subjectId = subject, category = "transcript", fileName = "session 12.vtt", contentType = "text/vtt", sizeBytes = size };

    [Fact]
    public async Task An_upload_is_presigned_into_the_tenant_s_prefix_of_the_ingest_bucket_and_shows_pending()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "upl", timeScale: 1);

        var created = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads", Body("anna", Vtt.Length), Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var link = await created.ReadJsonAsync();
        var uploadId = link.GetProperty("uploadId").GetString()!;
        using var put = new HttpRequestMessage(HttpMethod.Put, link.GetProperty("url").GetString()) { Content = new ByteArrayContent(Vtt) };
        foreach (var header in link.GetProperty("headers").EnumerateObject())
        {
            if (!put.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString()))
            {
                put.Content.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString());
            }
        }

        var status = await (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/uploads/{uploadId}", Ct)).ReadJsonAsync();
        using var s3 = new HttpClient();
        var sent = await s3.SendAsync(put, Ct);

        link.GetProperty("method").GetString().Should().Be("PUT");
        created.Headers.Location!.ToString().Should().Be($"/v1/tenants/{scenario.Tenant}/uploads/{uploadId}");
        // The PUT lands in the tenant's prefix (the pipeline takes it from there: IngestPipelineTests).
        sent.StatusCode.Should().Be(HttpStatusCode.OK, await sent.Content.ReadAsStringAsync(Ct));
        new Uri(link.GetProperty("url").GetString()!).AbsolutePath.Should().EndWith($"/{scenario.Tenant}/{uploadId}");
        (status.GetProperty("status").GetString(), status.GetProperty("sizeBytes").GetInt64(), status.GetProperty("restricted").GetBoolean()).Should().Be(("pending", Vtt.Length, false));
        (await cloud.JournalActionsAsync(scenario.Tenant, Ct)).Should().Contain("upload.create");
    }

    [Fact]
    public async Task A_bad_upload_request_names_each_field_and_stores_nothing()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "upb", timeScale: 1);

        var refused = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads",
            new { subjectId = "bad id!", category = "transcript", fileName = "../x.vtt", contentType = "application/x-msdownload", sizeBytes = 0 }, Ct);
        var auditor = api.ClientWithToken(scenario.Tenant, Roles.Auditor);
        var forbidden = await auditor.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads", Body("anna", 10), Ct);
        var unknown = await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/uploads/upl_doesnotexist", Ct);

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().BeEquivalentTo("subjectId", "fileName", "contentType", "sizeBytes");
        forbidden.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await cloud.JournalActionsAsync(scenario.Tenant, Ct)).Should().NotContain("upload.create");
    }

    [Fact]
    public async Task Another_tenant_never_sees_an_upload()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "upt", timeScale: 1);
        var other = await ErasureScenario.CreateAsync(api, cloud, "upo", timeScale: 1);
        var uploadId = (await (await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads", Body("anna", 10), Ct)).ReadJsonAsync()).GetProperty("uploadId").GetString();

        (await other.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/uploads/{uploadId}", Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await other.Service.GetAsync($"/v1/tenants/{other.Tenant}/uploads/{uploadId}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_upload_for_a_subject_under_erasure_is_refused_and_an_erasure_purges_an_earlier_one()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "upe");
        await scenario.SeedAsync("otto", fileVersions: 1);
        var uploadId = (await (await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads", Body("otto", 10), Ct)).ReadJsonAsync()).GetProperty("uploadId").GetString();
        using var s3 = cloud.Cloud.CreateS3Client();
        var ingest = Lethe.Aws.Configuration.ResourceNames.FromEnvironment().Bucket(Lethe.Catalog.ResourceCatalog.Ingest);
        await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = ingest, Key = $"{scenario.Tenant}/{uploadId}", ContentBody = "0123456789", ContentType = "text/vtt" }, Ct);
        var jobId = (await (await scenario.SubmitErasureAsync("otto")).ReadJsonAsync()).GetProperty("id").GetString()!;

        var during = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads", Body("otto", 10), Ct);
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed);
        var after = await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/uploads/{uploadId}", Ct);

        during.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await during.ReadJsonAsync()).GetProperty("jobId").GetString().Should().Be(jobId);
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        after.StatusCode.Should().Be(HttpStatusCode.NotFound, "the upload was the subject's data");
        (await UploadRowAsync(scenario.Tenant, uploadId!)).Should().BeNull("its row, file name included, is purged");
        var left = await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = ingest, Prefix = $"{scenario.Tenant}/{uploadId}" }, Ct);
        (left.S3Objects ?? []).Should().BeEmpty("the uploaded object is deleted with the rest of the subject's data");
    }

    [Fact]
    public async Task An_upload_for_a_restricted_subject_is_marked_to_be_stored_without_derivation()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "upr", timeScale: 1);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/rita/restriction", new { restricted = true, reason = "contested accuracy" }, Ct)).EnsureSuccessStatusCode();

        var uploadId = (await (await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads", Body("rita", 10), Ct)).ReadJsonAsync()).GetProperty("uploadId").GetString();
        var status = await (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/uploads/{uploadId}", Ct)).ReadJsonAsync();

        status.GetProperty("restricted").GetBoolean().Should().BeTrue();
    }

    private async Task<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>?> UploadRowAsync(string tenant, string uploadId)
    {
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var response = await dynamo.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
        {
            TableName = Lethe.Aws.Configuration.ResourceNames.FromEnvironment().Table(Lethe.Catalog.ResourceCatalog.Records),
            Key = Lethe.Aws.Catalog.DynamoKeys.Of(tenant, $"UPLOAD#{uploadId}"),
            ConsistentRead = true,
        }, Ct);
        return response.IsItemSet && response.Item.Count > 0 ? response.Item : null;
    }
}
