using Amazon.DynamoDBv2;
using Amazon.KeyManagementService;
using Amazon.S3;
using Amazon.SQS;

namespace Lethe.Aws.Configuration;

/// <summary>
/// SDK clients built the same way in every process: the default credential chain and region, and, when
/// <c>AWS_ENDPOINT_URL</c> is set (the local cloud), that endpoint with path-style S3 addressing.
/// </summary>
public static class AwsClients
{
    private static string? Endpoint => Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") is { Length: > 0 } url ? url : null;

    private static string? Region => Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");

    public static IAmazonDynamoDB DynamoDb()
    {
        var config = new AmazonDynamoDBConfig();
        Apply(config);
        return new AmazonDynamoDBClient(config);
    }

    public static IAmazonS3 S3()
    {
        var config = new AmazonS3Config { ForcePathStyle = Endpoint is not null };
        Apply(config);
        return new AmazonS3Client(config);
    }

    public static IAmazonKeyManagementService Kms()
    {
        var config = new AmazonKeyManagementServiceConfig();
        Apply(config);
        return new AmazonKeyManagementServiceClient(config);
    }

    public static IAmazonSQS Sqs()
    {
        var config = new AmazonSQSConfig();
        Apply(config);
        return new AmazonSQSClient(config);
    }

    private static void Apply(Amazon.Runtime.ClientConfig config)
    {
        if (Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = Region;
        }
        else if (Region is { } region)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }
    }
}
