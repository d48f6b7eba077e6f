"""The cloud tier: organizers sell and manage tickets; venues pull manifests and push scans."""
