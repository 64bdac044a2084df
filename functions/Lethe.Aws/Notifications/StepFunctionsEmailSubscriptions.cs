using System.Globalization;
using System.Text.Json;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Notifications;

namespace Lethe.Aws.Notifications;

/// <summary>The input of workflows/email-subscriptions.asl.json.</summary>
public sealed record EmailSubscriptionsInput(string TenantId, string FilterPolicy, IReadOnlyList<string> Subscribe, IReadOnlyList<EmailSubscription> Unsubscribe);

/// <summary>
/// The e-mail subscriptions port as deployed: an execution of workflows/email-subscriptions.asl.json per saved version of the
/// tenant's settings (<c>{tenantId}-emails-{version}</c>), so a retried save starts it once.
/// </summary>
public sealed class StepFunctionsEmailSubscriptions(StepFunctionsClient client, string machineArn) : IEmailSubscriptions
{
    public async Task StartAsync(string tenantId, long version, SubscriptionChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        // The subscription's filter: only notices whose tenantId attribute is this tenant's (the notify workflow sets it).
        var filterPolicy = new System.Text.Json.Nodes.JsonObject { ["tenantId"] = new System.Text.Json.Nodes.JsonArray(tenantId) }.ToJsonString();
        var input = new EmailSubscriptionsInput(tenantId, filterPolicy, change.Subscribe, change.Unsubscribe);
        try
        {
            await client.StartExecutionAsync(
                new StartExecutionRequest(machineArn, $"{tenantId}-emails-{version.ToString(CultureInfo.InvariantCulture)}", JsonSerializer.Serialize(input, AwsJsonContext.Default.EmailSubscriptionsInput)),
                cancellationToken);
        }
        catch (ExecutionAlreadyExistsException)
        {
            // Started already for this version of the settings.
        }
    }
}
