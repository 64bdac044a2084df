using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lethe.Api.Auth;
using Lethe.Domain.Security;
using Lethe.Lambda.Logging;
using Lethe.LocalCloud;
using Microsoft.Extensions.Logging;

namespace Lethe.Cli.Commands;

/// <summary>
/// <c>./lethe demo [--url BASE]</c>: a narrated erasure, end to end, against a running <c>./lethe up</c> (with <c>--url</c>) or a
/// local cloud it starts itself: store personal data for two people, erase one, watch it vanish at once, wait out a recovery
/// window shortened by the tenant's time scale, then verify the signed certificate and the audit chain; finally export the other person's data and download it.
/// </summary>
public static class DemoCommand
{
    /// <summary>29 days of recovery window become about this many seconds in the demo tenant.</summary>
    public const int WindowSeconds = 6;

    public static Command Create()
    {
        var url = CliOptions.BaseUrl("A running `./lethe up` (e.g. http://localhost:8080). Default: start a local cloud for the demo.");
        var command = new Command("demo", "Walk through an erasure and an export: store, erase, hidden at once, purged after the window, certificate verified, a copy downloaded.") { url };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(url), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(Uri? url, CancellationToken cancellationToken)
    {
        var root = RepositoryLayout.FindRoot() ?? Directory.GetCurrentDirectory();
        if (url is not null)
        {
            return await NarrateAsync(url, root, cancellationToken);
        }

        using var loggers = LoggerFactory.Create(b => b.AddPowertoolsJsonConsole(o => o.Service = "lethe-demo").SetMinimumLevel(LogLevel.Error));
        var port = UpCommand.FreePort();
        Say("Starting a local cloud (moto + our gateway) and the Lethe API for this demo ...");
        var (cloud, api) = await UpCommand.StartAsync(port, UpCommand.FreePort(), 1, root, loggers, cancellationToken, runDailySchedules: false);
        await using (cloud)
        await using (api)
        {
            Say($"  ready in {cloud.StartupTime.TotalSeconds:0.0} s: API http://localhost:{port}, AWS endpoint {cloud.Endpoint}");
            var code = await NarrateAsync(new Uri($"http://localhost:{port}/"), root, cancellationToken);
            await api.StopAsync(CancellationToken.None);
            return code;
        }
    }

    private static async Task<int> NarrateAsync(Uri baseUrl, string root, CancellationToken cancellationToken)
    {
        var tenant = $"demo-{Guid.NewGuid():N}"[..16];
        var key = DevSigningKey.LoadOrCreate(DevSigningKey.DefaultPath(root));
        HttpClient Client(string role, string sub)
        {
            var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DevSigningKey.IssueToken(key, role == Roles.PlatformAdmin ? "platform" : tenant, [role], sub, TimeSpan.FromHours(1), DateTimeOffset.UtcNow));
            return client;
        }

        using var platform = Client(Roles.PlatformAdmin, "operator");
        using var app = Client(Roles.Service, "coaching-app");
        using var admin = Client(Roles.TenantAdmin, "privacy-officer");
        try
        {
            Step(1, $"A tenant, '{tenant}', whose clock runs fast: its 29-day recovery window lasts about {WindowSeconds} s (local only).");
            await Ok(await platform.PutAsJsonAsync($"v1/tenants/{tenant}", new { name = "Demo Coaching Ltd", timeScale = 29 * 86_400 / WindowSeconds }, cancellationToken));

            Step(2, "The coaching app stores personal data for two clients, Anna and Ben.");
            foreach (var (subject, category, fields) in new[]
            {
                ("anna", "transcript", new Dictionary<string, string> { ["body"] = "Coach: How was your week? Anna: Hard. Call me on +44 20 7946 0958 or anna@example.com." }),
                ("anna", "journal", new Dictionary<string, string> { ["entry"] = "Slept badly again; the new role is a lot." }),
                ("anna", "note", new Dictionary<string, string> { ["text"] = "Follow up on goals in session 4." }),
                ("ben", "transcript", new Dictionary<string, string> { ["body"] = "Coach: Welcome, Ben. Ben: Glad to start." }),
            })
            {
                var created = await Json(await app.PostAsJsonAsync($"v1/tenants/{tenant}/subjects/{subject}/records", new { category, fields }, cancellationToken));
                Say($"  {subject,-5} {category,-10} → {created.GetProperty("classification").GetString(),-12} pii: [{string.Join(", ", created.GetProperty("pii").EnumerateArray().Select(p => p.GetString()))}]" +
                    (created.GetProperty("encrypted").GetBoolean() ? $", fields encrypted under {(subject == "anna" ? "Anna" : "Ben")}'s own key" : string.Empty));
            }

            Step(3, "Anna asks to be forgotten (GDPR Art. 17). The app submits an erasure request, safely retryable with an Idempotency-Key.");
            using var submit = new HttpRequestMessage(HttpMethod.Post, $"v1/tenants/{tenant}/requests") { Content = JsonContent.Create(new { type = "deletion", subjectId = "anna", reason = "Art. 17 request by email" }) };
            submit.Headers.Add("Idempotency-Key", $"anna-erasure-{tenant}");
            var job = await Json(await app.SendAsync(submit, cancellationToken));
            var jobId = job.GetProperty("id").GetString()!;
            Say($"  request {jobId}: {job.GetProperty("status").GetString()}; recovery window ends {job.GetProperty("purgeAt").GetString()}");

            Step(4, "Hidden at once: Anna's records disappear from every read; Ben's stay.");
            var watch = Stopwatch.StartNew();
            JsonElement current;
            do
            {
                await Task.Delay(200, cancellationToken);
                current = await Json(await admin.GetAsync($"v1/tenants/{tenant}/requests/{jobId}", cancellationToken));
            }
            while (current.GetProperty("phase").GetString() is "validate" or "soft-delete" && watch.Elapsed < TimeSpan.FromSeconds(30));

            var anna = await Json(await app.GetAsync($"v1/tenants/{tenant}/subjects/anna/records", cancellationToken));
            var ben = await Json(await app.GetAsync($"v1/tenants/{tenant}/subjects/ben/records", cancellationToken));
            Say($"  Anna: {anna.GetProperty("items").GetArrayLength()} records visible; Ben: {ben.GetProperty("items").GetArrayLength()}. (An admin could still restore Anna's items until the window ends.)");

            Step(5, "The workflow waits out the recovery window, then purges every copy and shreds Anna's key.");
            var lastPhase = string.Empty;
            while (current.GetProperty("status").GetString() is "queued" or "running" && watch.Elapsed < TimeSpan.FromSeconds(90))
            {
                var phase = current.GetProperty("phase").GetString()!;
                if (phase != lastPhase)
                {
                    Say($"  {watch.Elapsed.TotalSeconds,5:0.0} s  phase {phase,-16} progress {current.GetProperty("progress").GetProperty("percent").GetInt32()}%");
                    lastPhase = phase;
                }

                await Task.Delay(250, cancellationToken);
                current = await Json(await admin.GetAsync($"v1/tenants/{tenant}/requests/{jobId}", cancellationToken));
            }

            Say($"  {watch.Elapsed.TotalSeconds,5:0.0} s  {current.GetProperty("status").GetString()}: {current.GetProperty("counts").GetProperty("purged").GetInt64()} items purged");
            if (current.GetProperty("status").GetString() != "completed")
            {
                throw new InvalidOperationException($"the erasure ended {current.GetProperty("status").GetString()}: {current.GetProperty("errors")}");
            }

            Step(6, "The signed deletion certificate: canonical JSON, ECDSA P-256 via KMS. It names Anna only by a keyed hash.");
            var certificate = await Json(await admin.GetAsync($"v1/tenants/{tenant}/requests/{jobId}/certificate", cancellationToken));
            var claims = certificate.GetProperty("certificate");
            Say($"  subjectRef {claims.GetProperty("subjectRef").GetString()![..16]}…  items erased {claims.GetProperty("counts").GetProperty("itemsErased").GetInt64()}" +
                $"  object versions {claims.GetProperty("counts").GetProperty("objectVersionsDeleted").GetInt64()}  key: {claims.GetProperty("methods").GetProperty("cryptoShred").GetString()}");
            var file = Path.Combine(root, ".lethe", $"certificate-{jobId}.json");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, certificate.GetRawText(), cancellationToken);
            var (valid, reason) = await VerifyCertificateCommand.VerifyAsync(new FileInfo(file), null, baseUrl, cancellationToken);
            Say($"  verify-certificate: {(valid ? "valid" : $"invalid: {reason}")}   (saved to {Path.GetRelativePath(Directory.GetCurrentDirectory(), file)}; also checkable with plain openssl)");

            Step(7, "The tamper-evident audit trail: who asked, what was affected, the outcome; the hash chain verifies.");
            await Task.Delay(1500, cancellationToken);
            var audit = await Json(await admin.GetAsync($"v1/tenants/{tenant}/audit?limit=200", cancellationToken));
            foreach (var evt in audit.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("action").GetString()!.StartsWith("erasure.", StringComparison.Ordinal) || e.GetProperty("action").GetString() == "request.submit"))
            {
                Say($"  #{evt.GetProperty("seq").GetInt64(),-3} {evt.GetProperty("actor").GetProperty("sub").GetString(),-26} {evt.GetProperty("action").GetString(),-22} {evt.GetProperty("outcome").GetString()}");
            }

            var verify = await Json(await admin.GetAsync($"v1/tenants/{tenant}/audit/verify?from=0", cancellationToken));
            Say($"  audit/verify: valid={verify.GetProperty("valid").GetBoolean()} over {verify.GetProperty("records").GetInt64()} records");

            Step(8, "Ben asks for a copy of his data (GDPR Art. 15 and 20): an export request, packaged as a ZIP, downloaded through a link valid 5 minutes.");
            // The fast clock would end the export's 7-day download window in about a second: the tenant goes back to real time.
            await Ok(await platform.PutAsJsonAsync($"v1/tenants/{tenant}", new { name = "Demo Coaching Ltd", timeScale = 1 }, cancellationToken));
            var exported = await ExportAsync(app, admin, tenant, "ben", cancellationToken);
            Say(string.Empty);
            var proven = valid && verify.GetProperty("valid").GetBoolean() && exported;
            Say(proven ? "Done: Anna is gone, Ben is untouched and has his copy, and it is proven." : "The demo found a problem (see above).");
            return proven ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or JsonException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"lethe demo: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Submits an export, follows it to completion, downloads the ZIP and lists what it holds; the file is removed afterwards.</summary>
    private static async Task<bool> ExportAsync(HttpClient app, HttpClient admin, string tenant, string subject, CancellationToken cancellationToken)
    {
        var job = await Json(await app.PostAsJsonAsync($"v1/tenants/{tenant}/requests", new { type = "export", subjectId = subject, format = "zip" }, cancellationToken));
        var jobId = job.GetProperty("id").GetString()!;
        var watch = Stopwatch.StartNew();
        var lastPhase = string.Empty;
        while (job.GetProperty("status").GetString() is "queued" or "running" && watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (job.GetProperty("phase").GetString() is { } phase && phase != lastPhase)
            {
                Say($"  {watch.Elapsed.TotalSeconds,5:0.0} s  phase {phase,-16} progress {job.GetProperty("progress").GetProperty("percent").GetInt32()}%");
                lastPhase = phase;
            }

            await Task.Delay(250, cancellationToken);
            job = await Json(await admin.GetAsync($"v1/tenants/{tenant}/requests/{jobId}", cancellationToken));
        }

        if (job.GetProperty("status").GetString() != "completed")
        {
            throw new InvalidOperationException($"the export ended {job.GetProperty("status").GetString()}: {job.GetProperty("errors")}");
        }

        // The API answers a redirect to a presigned URL (valid 5 minutes); HttpClient follows it to the storage endpoint.
        var file = Path.Combine(Path.GetTempPath(), $"lethe-demo-{jobId}.zip");
        try
        {
            using (var download = await admin.GetAsync($"v1/tenants/{tenant}/requests/{jobId}/download", cancellationToken))
            {
                download.EnsureSuccessStatusCode();
                await using var target = File.Create(file);
                await download.Content.CopyToAsync(target, cancellationToken);
            }

            using var zip = System.IO.Compression.ZipFile.OpenRead(file);
            Say($"  {watch.Elapsed.TotalSeconds,5:0.0} s  completed: {new FileInfo(file).Length:N0} bytes, {zip.Entries.Count} entries: {string.Join(", ", zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal).Take(8))}");
            return zip.GetEntry("manifest.json") is not null && zip.GetEntry("records.json") is not null;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void Step(int number, string text)
    {
        Console.WriteLine();
        Console.WriteLine($"{number}. {text}");
    }

    private static void Say(string text) => Console.WriteLine(text);

    private static async Task Ok(HttpResponseMessage response)
    {
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{(int)response.StatusCode} from {response.RequestMessage?.RequestUri}: {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{(int)response.StatusCode} {(response.StatusCode == HttpStatusCode.Unauthorized ? "(is this a local `./lethe up`? the demo signs with .lethe/dev-jwt.key) " : string.Empty)}from {response.RequestMessage?.RequestUri}: {body}");
            }

            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
    }
}
