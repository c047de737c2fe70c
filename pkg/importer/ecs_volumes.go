package importer

// The task definition's volumes in neutral fields: EFS and scratch volumes and their mounts.

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// volumes maps EFS and scratch volumes, each mounted at its path in the app container (its
// first mount there) and wherever sidecars and init containers mount it.
func (m *ecsMapper) volumes() {
	app := m.app
	mounts := map[string][]types.MountPoint{}
	for _, c := range m.td.ContainerDefinitions {
		mounts[aws.ToString(c.Name)] = c.MountPoints
	}
	for _, v := range m.td.Volumes {
		name := aws.ToString(v.Name)
		sv := spec.Volume{Name: name}
		switch {
		case v.EfsVolumeConfiguration != nil:
			e := v.EfsVolumeConfiguration
			sv.EFS = &spec.EFS{FileSystem: aws.ToString(e.FileSystemId)}
			if e.TransitEncryption != types.EFSTransitEncryptionEnabled {
				f := false
				sv.EFS.TransitEncryption = &f
			}
			if a := e.AuthorizationConfig; a != nil {
				sv.EFS.AccessPoint = aws.ToString(a.AccessPointId)
			}
		case v.DockerVolumeConfiguration == nil && v.FsxWindowsFileServerVolumeConfiguration == nil && (v.Host == nil || aws.ToString(v.Host.SourcePath) == "") && !aws.ToBool(v.ConfiguredAtLaunch):
			sv.Scratch = &spec.Scratch{}
		default:
			continue
		}
		if !dnsLabelRe.MatchString(name) {
			continue // not a spec volume name: the override carries the volume and its mounts
		}
		for _, mp := range mounts[m.main] {
			if aws.ToString(mp.SourceVolume) == name {
				sv.Path, sv.ReadOnly = aws.ToString(mp.ContainerPath), aws.ToBool(mp.ReadOnly)
				break
			}
		}
		mounted := sv.Path != ""
		for _, list := range [][]spec.Sidecar{app.Sidecars, app.Init} {
			for i := range list {
				for _, mp := range mounts[list[i].Name] {
					if aws.ToString(mp.SourceVolume) == name {
						list[i].Mounts = append(list[i].Mounts, spec.Mount{Volume: name, Path: aws.ToString(mp.ContainerPath), ReadOnly: aws.ToBool(mp.ReadOnly)})
						mounted = true
					}
				}
			}
		}
		if mounted {
			app.Volumes = append(app.Volumes, sv)
		}
	}
}
