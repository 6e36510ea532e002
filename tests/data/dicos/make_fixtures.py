#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make_fixtures.py: builds the "other writer" DICOS fixtures of
tests/data/dicos with pydicom (an independent writer), so lucent's reader is
tested against files it did not write:

  implicit_dx.dcs     DX for processing, implicit VR little endian, 6 x 4 pixels
                      of value 1000 + 3 i (i = row-major index)
  ct.dcs              DICOS CT, explicit VR LE, 2 frames of 8 x 8, value
                      frame*1000 + i
  tdr_undefined.dcs   TDR, implicit VR LE, Threat Sequence items with nested
                      PTO Representation / Referenced Instance / ATD Assessment
                      sequences, all of undefined length
  jpeg_lossless.dcs   a file whose transfer syntax is JPEG Lossless (1.2.4.70),
                      which lucent must refuse naming the syntax

Run with /usr/bin/python3 (pydicom 2.x) from this folder; the outputs are
committed so tests never regenerate them.
"""
import os
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

HERE = os.path.dirname(os.path.abspath(__file__))
STUDY = "2.25.1111111111111111111111111111111111"


def base(sop_class, sop_uid, ts):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = "2.25.42"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = sop_uid + ".1"
    ds.is_little_endian = True
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian
    return ds


def save(ds, name):
    ds.save_as(os.path.join(HERE, name), write_like_original=False)


def implicit_dx():
    ds = base("1.2.840.10008.5.1.4.1.1.501.2.2", "2.25.2001", ImplicitVRLittleEndian)
    ds.Modality = "DX"
    ds.PatientID = "IMPL-1"
    ds.Manufacturer = "pydicom fixture"
    ds.KVP = "140"
    ds.Rows, ds.Columns = 4, 6
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = (1000 + 3 * np.arange(24, dtype=np.uint16)).astype("<u2").tobytes()
    save(ds, "implicit_dx.dcs")


def ct():
    ds = base("1.2.840.10008.5.1.4.1.1.501.1", "2.25.2002", ExplicitVRLittleEndian)
    ds.Modality = "CT"
    ds.PatientID = "CT-1"
    ds.Rows, ds.Columns, ds.NumberOfFrames = 8, 8, 2
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    px = np.concatenate([f * 1000 + np.arange(64) for f in range(2)]).astype("<u2")
    ds.PixelData = px.tobytes()
    save(ds, "ct.dcs")


def tdr():
    ds = base("1.2.840.10008.5.1.4.1.1.501.3", "2.25.2003", ImplicitVRLittleEndian)
    ds.Modality = "TDR"
    ds.PatientID = "TDR-1"
    ds.TDRType = "MACHINE"
    ds.AlarmDecision = "ALARM"
    ds.NumberOfTotalObjects = 2
    ds.NumberOfAlarmObjects = 1
    threats = []
    for pid, cat, flag, prob, poly in [
        (11, "EXPLOSIVE", "THREAT", 0.75, [10, 20, 30, 20, 30, 40, 10, 40]),
        (12, "PROHIBITED_ITEM", "NO_THREAT", 0.25, [1, 2, 3, 2, 3, 4]),
    ]:
        ref = Dataset()
        ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.501.2.2"
        ref.ReferencedSOPInstanceUID = "2.25.2001"
        rep = Dataset()
        rep.ReferencedInstanceSequence = Sequence([ref])
        rep.BoundingPolygon = poly
        ass = Dataset()
        ass.ThreatCategory = cat
        ass.ThreatCategoryDescription = "fixture " + cat.lower()
        ass.ATDAbilityAssessment = "NO_INTERFERENCE"
        ass.ATDAssessmentFlag = flag
        ass.ATDAssessmentProbability = prob
        item = Dataset()
        item.PotentialThreatObjectID = pid
        item.PTORepresentationSequence = Sequence([rep])
        item.ATDAssessmentSequence = Sequence([ass])
        threats.append(item)
    ds.ThreatSequence = Sequence(threats)
    # Undefined lengths everywhere (pydicom writes them when is_undefined_length).
    for seq_owner in [ds] + threats:
        for elem in seq_owner:
            if elem.VR == "SQ":
                elem.is_undefined_length = True
                for it in elem.value:
                    it.is_undefined_length_sequence_item = True
                    for sub in it:
                        if sub.VR == "SQ":
                            sub.is_undefined_length = True
                            for it2 in sub.value:
                                it2.is_undefined_length_sequence_item = True
    save(ds, "tdr_undefined.dcs")


def jpeg():
    from pydicom.encaps import encapsulate
    ds = base("1.2.840.10008.5.1.4.1.1.501.2.2", "2.25.2004", "1.2.840.10008.1.2.4.70")
    ds.is_implicit_VR = False
    ds.Modality = "DX"
    ds.Rows, ds.Columns = 2, 2
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    # Not a real JPEG stream: the reader must refuse on the transfer syntax
    # before it looks at the pixels.
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xc3fake\xff\xd9"])
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    save(ds, "jpeg_lossless.dcs")


if __name__ == "__main__":
    implicit_dx()
    ct()
    tdr()
    jpeg()
