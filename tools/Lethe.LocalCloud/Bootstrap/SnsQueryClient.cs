using System.Globalization;
using System.Text.RegularExpressions;

namespace Lethe.LocalCloud.Bootstrap;

/// <summary>
/// The few SNS calls the local cloud needs (create a topic, subscribe a queue and unsubscribe it), over SNS's query protocol. The AWS SDK package
/// for SNS is not on our feed; the emulator does not check signatures, only the credential scope's region.
/// </summary>
public sealed partial class SnsQueryClient(HttpClient http, Uri endpoint, string region)
{
    public async Task<string> CreateTopicAsync(string name, CancellationToken cancellationToken) =>
        Extract(await CallAsync(new() { ["Action"] = "CreateTopic", ["Name"] = name }, cancellationToken), "TopicArn");

    public async Task<string> SubscribeQueueAsync(string topicArn, string queueArn, CancellationToken cancellationToken) =>
        Extract(await CallAsync(new()
        {
            ["Action"] = "Subscribe",
            ["TopicArn"] = topicArn,
            ["Protocol"] = "sqs",
            ["Endpoint"] = queueArn,
            ["Attributes.entry.1.key"] = "RawMessageDelivery",
            ["Attributes.entry.1.value"] = "true",
        }, cancellationToken), "SubscriptionArn");

    /// <summary>Ends a subscription (moto fails every later publish to the topic once a subscribed queue is gone).</summary>
    public Task UnsubscribeAsync(string subscriptionArn, CancellationToken cancellationToken) =>
        CallAsync(new() { ["Action"] = "Unsubscribe", ["SubscriptionArn"] = subscriptionArn }, cancellationToken);

    /// <summary>The topic's subscriptions (first page of up to 100): ARN, protocol and endpoint of each.</summary>
    public async Task<IReadOnlyList<(string Arn, string Protocol, string Endpoint)>> ListSubscriptionsAsync(string topicArn, CancellationToken cancellationToken)
    {
        var xml = await CallAsync(new() { ["Action"] = "ListSubscriptionsByTopic", ["TopicArn"] = topicArn }, cancellationToken);
        return [.. Regex.Matches(xml, "<member>(.*?)</member>", RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
            .Select(m => (Extract(m.Groups[1].Value, "SubscriptionArn"), Extract(m.Groups[1].Value, "Protocol"), Extract(m.Groups[1].Value, "Endpoint")))];
    }

    /// <summary>A subscription's filter policy (null when it has none).</summary>
    public async Task<string?> FilterPolicyAsync(string subscriptionArn, CancellationToken cancellationToken)
    {
        var xml = await CallAsync(new() { ["Action"] = "GetSubscriptionAttributes", ["SubscriptionArn"] = subscriptionArn }, cancellationToken);
        var match = Regex.Match(xml, "<key>FilterPolicy</key>\\s*<value>([^<]*)</value>", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return match.Success ? System.Net.WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    private async Task<string> CallAsync(Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        form["Version"] = "2010-03-31";
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
        var date = DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential=test/{date}/{region}/sns/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"SNS {form["Action"]} failed with {(int)response.StatusCode}: {body}");
        }

        return body;
    }

    private static string Extract(string xml, string element)
    {
        var match = Regex.Match(xml, $"<{element}>([^<]+)</{element}>", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"SNS answered without {element}: {xml}");
    }
}
