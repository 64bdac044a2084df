using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lethe.Aws.Configuration;
using Lethe.Catalog;
using Lethe.Domain.Security;
using Lethe.Tests.Integration.Api;
using Lethe.Tests.Integration.Erasure;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.Ingest;

/// <summary>
/// The ingest pipeline end to end (issue 16; DESIGN.md, the eight lifecycle steps): a presigned PUT lands in the ingest bucket,
/// S3's notification goes through the ingest queue to the real consumer (the local cloud's event-source mapping), the scan
/// quarantines or starts workflows/ingest.asl.json, whose steps normalize, store, derive, pack, wait for a review and deliver.
/// </summary>
public sealed class IngestPipelineTests(LetheApiFactory api, LocalCloudFixture cloud) : IClassFixture<LetheApiFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Eicar = @"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    private const string Email = "anna.berg@example.com";
    private const string Phone = "+44 20 7946 0958";
    private const string Card = "4111 1111 1111 1111";

    private static readonly byte[] Transcript = Encoding.UTF8.GetBytes(
        "WEBVTT\n\n" +
        "00:00:01.000 --> 00:00:09.000\n<v Coach>Welcome back. Last week we talked about your leadership goals and the quarterly planning.</v>\n\n" +
        $"00:00:10.000 --> 00:00:19.000\n<v Anna Berg>Thanks. You can reach me at {Email} or on {Phone} if the planning moves.</v>\n\n" +
        $"00:00:20.000 --> 00:00:29.000\n<v Anna Berg>I paid the workshop with my card {Card}; the leadership workshop helped my planning a lot.</v>\n\n" +
        "00:00:30.000 --> 00:00:39.000\n<v Coach>Good. Let us keep the leadership focus and revisit the planning next session.</v>\n");

    [Fact]
    public async Task An_EICAR_upload_is_quarantined_notified_and_never_stored()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "inq", timeScale: 1);

        var uploadId = await UploadAsync(scenario, "anna", Encoding.ASCII.GetBytes(Eicar), "text/plain", "notes.txt");
        var upload = await WaitForUploadAsync(scenario, uploadId, "quarantined");

        upload.GetProperty("reason").GetString().Should().Contain("EICAR-Test-File");
        (await ObjectExistsAsync(ResourceCatalog.Quarantine, $"{scenario.Tenant}/{uploadId}")).Should().BeTrue();
        (await ObjectExistsAsync(ResourceCatalog.Ingest, $"{scenario.Tenant}/{uploadId}")).Should().BeFalse();
        (await (await scenario.ListRecordsAsync("anna")).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
        (await scenario.AuditEventuallyAsync("upload.quarantined", 1)).Should().ContainSingle();
        (await OutboxEventuallyAsync(scenario, "upload.quarantined", uploadId)).Should().BeTrue();
    }

    [Fact]
    public async Task An_EICAR_file_inside_a_zip_is_quarantined_too()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "inz", timeScale: 1);
        using var zipped = new MemoryStream();
        using (var archive = new ZipArchive(zipped, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using var entry = await archive.CreateEntry("docs/readme.txt").OpenAsync(Ct);
            await entry.WriteAsync(Encoding.ASCII.GetBytes(Eicar), Ct);
        }

        var uploadId = await UploadAsync(scenario, "anna", zipped.ToArray(), "application/zip", "docs.zip");
        var upload = await WaitForUploadAsync(scenario, uploadId, "quarantined");

        upload.GetProperty("reason").GetString().Should().Contain("EICAR-Test-File").And.NotContain("readme", "a member's name may name a person");
        (await (await scenario.ListRecordsAsync("anna")).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task A_transcript_is_stored_encrypted_derived_from_pseudonyms_reviewed_with_an_edit_and_delivered()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "ing", timeScale: 1);
        var (uploadId, review) = await UploadToReviewAsync(scenario, "anna");
        var insight = review.GetProperty("insight");
        var recordId = (await GetUploadAsync(scenario, uploadId)).GetProperty("itemId").GetString()!;
        var rawContent = RawText(await scenario.RecordRowAsync(recordId) ?? throw new InvalidOperationException($"No row for {recordId}."));

        var approved = await scenario.Admin.PostAsJsonAsync(
            $"/v1/tenants/{scenario.Tenant}/reviews/{review.GetProperty("id").GetString()}/approve", new { edits = new { summary = "Leadership and planning, reviewed." } }, Ct);
        approved.StatusCode.Should().Be(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync(Ct));
        await WaitForUploadAsync(scenario, uploadId, "delivered");
        using var anna = api.ClientWithToken(scenario.Tenant, Roles.Subject, "anna");
        var visible = (await (await anna.GetAsync($"/v1/tenants/{scenario.Tenant}/subjects/anna/records", Ct)).ReadJsonAsync()).GetProperty("items").EnumerateArray().ToList();

        rawContent.Should().NotContain(Email).And.NotContain("Welcome back");
        foreach (var value in new[] { Email, Phone, Card, "Anna", "Berg" })
        {
            insight.GetRawText().Should().NotContain(value);
        }

        insight.GetProperty("model").GetString().Should().Be("lethe-extractive");
        (await approved.ReadJsonAsync()).GetProperty("editedFields").EnumerateArray().Select(f => f.GetString()).Should().Equal("summary");
        visible.Should().ContainSingle("only the approved insight is shared with the subject; the transcript stays the coach's")
            .Which.GetProperty("fields").GetProperty("summary").GetString().Should().Be("Leadership and planning, reviewed.");
        foreach (var action in new[] { "upload.scanned", "ingest.normalize", "ingest.store", "ingest.derive", "ingest.evidence", "ingest.review.request", "review.approve", "ingest.deliver" })
        {
            (await scenario.AuditEventuallyAsync(action, 1)).Should().NotBeEmpty(action);
        }

        (await OutboxEventuallyAsync(scenario, "review.pending", null)).Should().BeTrue();
        var requestId = (await GetUploadAsync(scenario, uploadId)).GetProperty("requestId").GetString();
        (await OutboxEventuallyAsync(scenario, "upload.delivered", requestId)).Should().BeTrue("the notice names the upload's ingest request");
    }

    [Fact]
    public async Task An_erasure_purges_the_upload_its_content_its_insight_and_its_evidence_pack()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "ine");
        var (uploadId, review) = await UploadToReviewAsync(scenario, "kim");
        var reject = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/reviews/{review.GetProperty("id").GetString()}/reject", new { reason = "Too thin." }, Ct);
        await WaitForUploadAsync(scenario, uploadId, "delivered");
        var contentId = (await GetUploadAsync(scenario, uploadId)).GetProperty("itemId").GetString()!;
        var insightId = review.GetProperty("insightId").GetString()!;
        var packId = "rec_e" + insightId["rec_i".Length..];
        var before = new[] { contentId, insightId, packId }.Select(id => scenario.RecordItemExistsAsync(id)).ToList();

        var jobId = (await (await scenario.SubmitErasureAsync("kim")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var (job, _) = await scenario.WaitForJobAsync(jobId, ErasureScenario.IsClosed, TimeSpan.FromSeconds(120));

        reject.StatusCode.Should().Be(HttpStatusCode.OK);
        (await Task.WhenAll(before)).Should().AllBeEquivalentTo(true);
        job.GetProperty("status").GetString().Should().Be("completed", job.ToString());
        foreach (var id in new[] { contentId, insightId, packId })
        {
            (await scenario.RecordItemExistsAsync(id)).Should().BeFalse(id);
        }

        (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/uploads/{uploadId}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        // The upload's row (with its file name) and the review's (with its reason) are gone from the table, not only hidden.
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var records = ResourceNames.FromEnvironment().Table(ResourceCatalog.Records);
        foreach (var sortKey in new[] { $"UPLOAD#{uploadId}", $"REVIEW#{review.GetProperty("id").GetString()}" })
        {
            var row = await dynamo.GetItemAsync(records, new() { ["pk"] = new() { S = $"TENANT#{scenario.Tenant}" }, ["sk"] = new() { S = sortKey } }, true, Ct);
            row.Item.Should().BeNullOrEmpty(sortKey);
        }
    }

    [Fact]
    public async Task Without_consent_to_ai_processing_the_content_is_stored_and_delivered_without_an_insight()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "inc", timeScale: 1);

        var uploadId = await UploadAsync(scenario, "lea", Transcript, "text/vtt", "session.vtt");
        var upload = await WaitForUploadAsync(scenario, uploadId, "delivered");

        upload.GetProperty("itemId").GetString().Should().StartWith("rec_c");
        var skipped = await scenario.AuditEventuallyAsync("ingest.derive.skipped", 1);
        skipped.Should().ContainSingle().Which.GetProperty("details").GetProperty("reason").GetString().Should().Be("no-consent");
        (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/reviews", Ct)).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task A_restricted_subject_s_upload_is_stored_without_derivation_even_with_consent()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "inx", timeScale: 1);
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/mo/consents/ai-processing", new { granted = true }, Ct)).EnsureSuccessStatusCode();
        (await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/mo/restriction", new { restricted = true, reason = "Contested accuracy." }, Ct)).EnsureSuccessStatusCode();

        var uploadId = await UploadAsync(scenario, "mo", Transcript, "text/vtt", "session.vtt");
        await WaitForUploadAsync(scenario, uploadId, "delivered");

        (await scenario.AuditEventuallyAsync("ingest.derive.skipped", 1)).Should().ContainSingle()
            .Which.GetProperty("details").GetProperty("reason").GetString().Should().Be("restricted");
        (await scenario.AuditEventuallyAsync("ingest.derive", 0)).Should().BeEmpty();
    }

    [Fact]
    public async Task Redelivery_of_the_same_S3_event_ingests_once()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "inr", timeScale: 1);
        var uploadId = await UploadAsync(scenario, "lea", Transcript, "text/vtt", "session.vtt");
        await WaitForUploadAsync(scenario, uploadId, "delivered");

        var (first, failedFirst) = await scenario.InvokeAsync(Handlers.IngestReceive, SqsEvent(scenario.Tenant, uploadId, receiveCount: 1));
        var (second, failedSecond) = await scenario.InvokeAsync(Handlers.IngestReceive, SqsEvent(scenario.Tenant, uploadId, receiveCount: 2));
        var jobs = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/requests?type=ingest", Ct)).ReadJsonAsync()).GetProperty("items");

        (failedFirst, failedSecond).Should().Be((false, false));
        first.GetProperty("batchItemFailures").GetArrayLength().Should().Be(0);
        second.GetProperty("batchItemFailures").GetArrayLength().Should().Be(0);
        jobs.GetArrayLength().Should().Be(1);
        (await GetUploadAsync(scenario, uploadId)).GetProperty("status").GetString().Should().Be("delivered");
    }

    [Fact]
    public async Task A_message_that_keeps_failing_ends_in_the_dead_letter_queue_with_its_upload_failed()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "inp", timeScale: 1);
        // Presigned, never put: the event names an object that is not there, so every receive fails.
        var created = await (await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads",
            new { subjectId = "lea", category = "transcript", fileName = "gone.vtt", contentType = "text/vtt", sizeBytes = 10 }, Ct)).ReadJsonAsync();
        var uploadId = created.GetProperty("uploadId").GetString()!;
        using var sqs = cloud.Cloud.CreateSqsClient();
        var queue = Environment.GetEnvironmentVariable(ResourceCatalog.IngestQueue.UrlVariable)!;
        await sqs.SendMessageAsync(queue, S3EventBody(scenario.Tenant, uploadId), Ct);

        var upload = await WaitForUploadAsync(scenario, uploadId, "failed", TimeSpan.FromSeconds(60));
        var dlq = (await sqs.GetQueueUrlAsync(Lethe.LocalCloud.Bootstrap.ResourceBootstrapper.PhysicalName(Environment.GetEnvironmentVariable("LETHE_RESOURCE_PREFIX")!, ResourceCatalog.IngestQueue.DeadLetterLogicalName), Ct)).QueueUrl;
        var deadLettered = await DeadLetteredAsync(sqs, dlq, uploadId);

        upload.GetProperty("reason").GetString().Should().Contain("gave up after 5 attempts").And.Contain("Lethe.IngestObjectMissing");
        deadLettered.Should().BeTrue();
        (await scenario.AuditEventuallyAsync("upload.failed", 1)).Should().ContainSingle();
    }

    [Fact]
    public async Task An_object_of_another_size_than_declared_is_rejected_deleted_and_audited()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "inm", timeScale: 1);

        var uploadId = await UploadAsync(scenario, "lea", Transcript, "text/vtt", "session.vtt", declaredSize: Transcript.Length + 5);
        var upload = await WaitForUploadAsync(scenario, uploadId, "failed");

        upload.GetProperty("reason").GetString().Should().Contain($"{Transcript.Length} bytes, not the {Transcript.Length + 5} declared");
        (await ObjectExistsAsync(ResourceCatalog.Ingest, $"{scenario.Tenant}/{uploadId}")).Should().BeFalse();
        (await scenario.AuditEventuallyAsync("upload.rejected", 1)).Should().ContainSingle();
        (await (await scenario.ListRecordsAsync("lea")).ReadJsonAsync()).GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task An_upload_whose_object_never_arrived_is_given_up_by_the_daily_sweep_and_its_row_purged()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "ina", timeScale: 1);
        var created = await (await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads",
            new { subjectId = "lea", category = "transcript", fileName = "lea's session.vtt", contentType = "text/vtt", sizeBytes = 10 }, Ct)).ReadJsonAsync();
        var uploadId = created.GetProperty("uploadId").GetString()!;
        // Its link expired two hours ago (the clock is real: the row is moved back instead).
        using var dynamo = cloud.Cloud.CreateDynamoDbClient();
        var records = ResourceNames.FromEnvironment().Table(ResourceCatalog.Records);
        var key = new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue> { ["pk"] = new() { S = $"TENANT#{scenario.Tenant}" }, ["sk"] = new() { S = $"UPLOAD#{uploadId}" } };
        await dynamo.UpdateItemAsync(new Amazon.DynamoDBv2.Model.UpdateItemRequest
        {
            TableName = records,
            Key = key,
            UpdateExpression = "SET expiresAt = :past",
            ExpressionAttributeValues = new() { [":past"] = new() { S = Lethe.Domain.Timestamps.Format(DateTimeOffset.UtcNow.AddHours(-2)) } },
        }, Ct);

        var (summary, failed) = await scenario.InvokeAsync(Handlers.SoftDeleteSweep, $$"""{"tenantIds":["{{scenario.Tenant}}"]}""");

        failed.Should().BeFalse(summary.ToString());
        summary.GetProperty("abandonedUploads").GetInt32().Should().Be(1);
        (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/uploads/{uploadId}", Ct)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await dynamo.GetItemAsync(records, key, true, Ct)).Item.Should().BeNullOrEmpty("the row with its file name is purged");
        (await scenario.AuditEventuallyAsync("upload.abandoned", 1)).Should().ContainSingle();
    }

    [Fact]
    public async Task Review_decisions_refuse_bad_input_other_roles_and_a_second_decision()
    {
        var scenario = await ErasureScenario.CreateAsync(api, cloud, "inb", timeScale: 1);
        var (_, review) = await UploadToReviewAsync(scenario, "anna");
        var path = $"/v1/tenants/{scenario.Tenant}/reviews/{review.GetProperty("id").GetString()}";
        using var auditor = api.ClientWithToken(scenario.Tenant, Roles.Auditor);

        var badEdit = await scenario.Admin.PostAsJsonAsync($"{path}/approve", new { edits = new { model = "other" } }, Ct);
        var noReason = await scenario.Admin.PostAsJsonAsync($"{path}/reject", new { reason = "" }, Ct);
        var forbidden = await auditor.PostAsJsonAsync($"{path}/approve", new { }, Ct);
        var unknown = await scenario.Admin.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/reviews/rev_00000000000000000000000000000000/approve", new { }, Ct);
        var badStatus = await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/reviews?status=maybe", Ct);
        var first = await scenario.Admin.PostAsJsonAsync($"{path}/approve", new { }, Ct);
        var second = await scenario.Admin.PostAsJsonAsync($"{path}/reject", new { reason = "Changed my mind." }, Ct);

        badEdit.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badEdit.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().Equal("edits.model");
        noReason.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        forbidden.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        badStatus.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        second.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await second.ReadJsonAsync()).GetProperty("type").GetString().Should().EndWith("/review-decided");
    }

    private static async Task<(string UploadId, JsonElement Review)> UploadToReviewAsync(ErasureScenario scenario, string subject)
    {
        var consent = await scenario.Admin.PutAsJsonAsync($"/v1/tenants/{scenario.Tenant}/subjects/{subject}/consents/ai-processing", new { granted = true }, Ct);
        consent.StatusCode.Should().Be(HttpStatusCode.OK, await consent.Content.ReadAsStringAsync(Ct));
        var uploadId = await UploadAsync(scenario, subject, Transcript, "text/vtt", "session 12.vtt");
        await WaitForUploadAsync(scenario, uploadId, "awaiting_review");
        var reviews = (await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/reviews?status=pending", Ct)).ReadJsonAsync()).GetProperty("items");
        return (uploadId, reviews.EnumerateArray().Single(r => r.GetProperty("uploadId").GetString() == uploadId).Clone());
    }

    private static async Task<string> UploadAsync(ErasureScenario scenario, string subject, byte[] content, string contentType, string fileName, long? declaredSize = null)
    {
        var created = await scenario.Service.PostAsJsonAsync($"/v1/tenants/{scenario.Tenant}/uploads",
            new { subjectId = subject, category = "transcript", fileName, contentType, sizeBytes = declaredSize ?? content.Length }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var link = await created.ReadJsonAsync();
        using var put = new HttpRequestMessage(HttpMethod.Put, link.GetProperty("url").GetString()) { Content = new ByteArrayContent(content) };
        foreach (var header in link.GetProperty("headers").EnumerateObject())
        {
            if (!put.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString()))
            {
                put.Content.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString());
            }
        }

        using var s3 = new HttpClient();
        var sent = await s3.SendAsync(put, Ct);
        sent.StatusCode.Should().Be(HttpStatusCode.OK, await sent.Content.ReadAsStringAsync(Ct));
        return link.GetProperty("uploadId").GetString()!;
    }

    /// <summary>Every string and every byte of a raw table row, as text: what someone reading the table would see.</summary>
    private static string RawText(Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue> row)
    {
        static string Text(Amazon.DynamoDBv2.Model.AttributeValue value) =>
            value.S ?? (value.B is { } bytes ? Encoding.UTF8.GetString(bytes.ToArray()) : null)
            ?? string.Join("\n", (value.M ?? []).Values.Select(Text)) + string.Join("\n", (value.L ?? []).Select(Text));
        return string.Join("\n", row.Select(a => $"{a.Key}={Text(a.Value)}"));
    }

    private static async Task<JsonElement> GetUploadAsync(ErasureScenario scenario, string uploadId) =>
        await (await scenario.Service.GetAsync($"/v1/tenants/{scenario.Tenant}/uploads/{uploadId}", Ct)).ReadJsonAsync();

    private static async Task<JsonElement> WaitForUploadAsync(ErasureScenario scenario, string uploadId, string status, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var upload = await GetUploadAsync(scenario, uploadId);
            if (upload.GetProperty("status").GetString() == status)
            {
                return upload;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Upload {uploadId} did not become {status}; last seen: {upload}");
            }

            await Task.Delay(200, Ct);
        }
    }

    private async Task<bool> ObjectExistsAsync(Lethe.Catalog.BucketDefinition bucket, string key)
    {
        using var s3 = cloud.Cloud.CreateS3Client();
        try
        {
            await s3.GetObjectMetadataAsync(ResourceNames.FromEnvironment().Bucket(bucket), key, Ct);
            return true;
        }
        catch (Amazon.S3.AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static async Task<bool> OutboxEventuallyAsync(ErasureScenario scenario, string eventName, string? requestId)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            var outbox = await (await scenario.Admin.GetAsync($"/v1/tenants/{scenario.Tenant}/notifications", Ct)).ReadJsonAsync();
            if (outbox.GetProperty("items").EnumerateArray().Any(n => n.GetProperty("event").GetString() == eventName && (requestId is null || n.GetProperty("requestId").GetString() == requestId)))
            {
                return true;
            }

            await Task.Delay(200, Ct);
        }

        return false;
    }

    private static async Task<bool> DeadLetteredAsync(Amazon.SQS.AmazonSQSClient sqs, string dlq, string uploadId)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            var received = await sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest { QueueUrl = dlq, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 0 }, Ct);
            if ((received.Messages ?? []).Any(m => m.Body.Contains(uploadId, StringComparison.Ordinal)))
            {
                return true;
            }

            await Task.Delay(200, Ct);
        }

        return false;
    }

    private static string S3EventBody(string tenant, string uploadId) => JsonSerializer.Serialize(new
    {
        Records = new[]
        {
            new
            {
                eventVersion = "2.1",
                eventSource = "aws:s3",
                awsRegion = "us-east-1",
                eventTime = DateTimeOffset.UtcNow,
                eventName = "ObjectCreated:Put",
                s3 = new { bucket = new { name = ResourceNames.FromEnvironment().Bucket(ResourceCatalog.Ingest), arn = (string?)null }, @object = new { key = $"{tenant}/{uploadId}", size = 10 } },
            },
        },
    });

    private static string SqsEvent(string tenant, string uploadId, int receiveCount) => JsonSerializer.Serialize(new
    {
        Records = new[]
        {
            new
            {
                messageId = Guid.NewGuid().ToString(),
                receiptHandle = "handle",
                body = S3EventBody(tenant, uploadId),
                attributes = new Dictionary<string, string> { ["ApproximateReceiveCount"] = receiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                messageAttributes = new Dictionary<string, string>(),
                md5OfBody = "x",
                eventSource = "aws:sqs",
                eventSourceARN = "arn:aws:sqs:us-east-1:123456789012:ingest",
                awsRegion = "us-east-1",
            },
        },
    });
}
