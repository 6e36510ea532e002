/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dict.c: the part of the DICOM/DICOS data dictionary lucent needs: the value
 * representation of each tag it reads (so that implicit VR files, which do not
 * carry VRs, parse correctly, sequences included) and a name for `lucent info`.
 * Entries come from the standard's data dictionary (PS3.6 and NEMA IIC 1 for
 * group 4010), as shipped by pydicom and DCMTK; the table is sorted by tag.
 */
#include <stdlib.h>

#include "dicos/dicos_int.h"

static const lc__dict_entry dict[] = {
    {0x00020000, "UL", "File Meta Information Group Length"},
    {0x00020001, "OB", "File Meta Information Version"},
    {0x00020002, "UI", "Media Storage SOP Class UID"},
    {0x00020003, "UI", "Media Storage SOP Instance UID"},
    {0x00020010, "UI", "Transfer Syntax UID"},
    {0x00020012, "UI", "Implementation Class UID"},
    {0x00020013, "SH", "Implementation Version Name"},
    {0x00080005, "CS", "Specific Character Set"},
    {0x00080008, "CS", "Image Type"},
    {0x00080012, "DA", "Instance Creation Date"},
    {0x00080013, "TM", "Instance Creation Time"},
    {0x00080016, "UI", "SOP Class UID"},
    {0x00080018, "UI", "SOP Instance UID"},
    {0x00080020, "DA", "Study Date"},
    {0x00080021, "DA", "Series Date"},
    {0x00080022, "DA", "Acquisition Date"},
    {0x00080023, "DA", "Content Date"},
    {0x0008002A, "DT", "Acquisition DateTime"},
    {0x00080030, "TM", "Study Time"},
    {0x00080031, "TM", "Series Time"},
    {0x00080032, "TM", "Acquisition Time"},
    {0x00080033, "TM", "Content Time"},
    {0x00080060, "CS", "Modality"},
    {0x00080068, "CS", "Presentation Intent Type"},
    {0x00080070, "LO", "Manufacturer"},
    {0x00080090, "PN", "Referring Physician's Name"},
    {0x00081010, "SH", "Station Name"},
    {0x00081030, "LO", "Study Description"},
    {0x0008103E, "LO", "Series Description"},
    {0x00081090, "LO", "Manufacturer's Model Name"},
    {0x0008114A, "SQ", "Referenced Instance Sequence"},
    {0x00081150, "UI", "Referenced SOP Class UID"},
    {0x00081155, "UI", "Referenced SOP Instance UID"},
    {0x00082111, "ST", "Derivation Description"},
    {0x00100010, "PN", "Patient's Name"},
    {0x00100020, "LO", "Patient ID"},
    {0x00100030, "DA", "Patient's Birth Date"},
    {0x00100040, "CS", "Patient's Sex"},
    {0x00180050, "DS", "Slice Thickness"},
    {0x00180060, "DS", "KVP"},
    {0x00181000, "LO", "Device Serial Number"},
    {0x00181020, "LO", "Software Versions"},
    {0x00181110, "DS", "Distance Source to Detector"},
    {0x00181151, "IS", "X-Ray Tube Current"},
    {0x00181164, "DS", "Imager Pixel Spacing"},
    {0x00187006, "LT", "Detector Description"},
    {0x00189309, "FD", "Table Speed"},
    {0x00189330, "FD", "X-Ray Tube Current in mA"},
    {0x0020000D, "UI", "Study Instance UID"},
    {0x0020000E, "UI", "Series Instance UID"},
    {0x00200010, "SH", "Study ID"},
    {0x00200011, "IS", "Series Number"},
    {0x00200013, "IS", "Instance Number"},
    {0x00200020, "CS", "Patient Orientation"},
    {0x00200032, "DS", "Image Position (Patient)"},
    {0x00200037, "DS", "Image Orientation (Patient)"},
    {0x00204000, "LT", "Image Comments"},
    {0x00280002, "US", "Samples per Pixel"},
    {0x00280004, "CS", "Photometric Interpretation"},
    {0x00280006, "US", "Planar Configuration"},
    {0x00280008, "IS", "Number of Frames"},
    {0x00280010, "US", "Rows"},
    {0x00280011, "US", "Columns"},
    {0x00280030, "DS", "Pixel Spacing"},
    {0x00280100, "US", "Bits Allocated"},
    {0x00280101, "US", "Bits Stored"},
    {0x00280102, "US", "High Bit"},
    {0x00280103, "US", "Pixel Representation"},
    {0x00281040, "CS", "Pixel Intensity Relationship"},
    {0x00281041, "SS", "Pixel Intensity Relationship Sign"},
    {0x00281050, "DS", "Window Center"},
    {0x00281051, "DS", "Window Width"},
    {0x00281052, "DS", "Rescale Intercept"},
    {0x00281053, "DS", "Rescale Slope"},
    {0x00281054, "LO", "Rescale Type"},
    {0x00282110, "CS", "Lossy Image Compression"},
    {0x40101009, "CS", "OOI Owner Type"},
    {0x40101010, "US", "Potential Threat Object ID"},
    {0x40101011, "SQ", "Threat Sequence"},
    {0x40101012, "CS", "Threat Category"},
    {0x40101013, "LT", "Threat Category Description"},
    {0x40101014, "CS", "ATD Ability Assessment"},
    {0x40101015, "CS", "ATD Assessment Flag"},
    {0x40101016, "FL", "ATD Assessment Probability"},
    {0x40101017, "FL", "Mass"},
    {0x40101018, "FL", "Density"},
    {0x40101019, "FL", "Z Effective"},
    {0x4010101D, "FL", "Bounding Polygon"},
    {0x40101027, "CS", "TDR Type"},
    {0x40101029, "LO", "Threat Detection Algorithm and Version"},
    {0x4010102B, "DT", "Alarm Decision Time"},
    {0x40101031, "CS", "Alarm Decision"},
    {0x40101033, "US", "Number of Total Objects"},
    {0x40101034, "US", "Number of Alarm Objects"},
    {0x40101037, "SQ", "PTO Representation Sequence"},
    {0x40101038, "SQ", "ATD Assessment Sequence"},
    {0x4010103A, "CS", "DICOS Version"},
    {0x40101042, "CS", "OOI Type"},
    {0x40101044, "CS", "Acquisition Status"},
    {0x40101047, "SQ", "OOI Owner Sequence"},
    {0x40101048, "CS", "Scan Type"},
    {0x7FE00010, "OW", "Pixel Data"},
};

static int cmp_tag(const void *key, const void *entry)
{
    uint32_t k = *(const uint32_t *)key;
    uint32_t t = ((const lc__dict_entry *)entry)->tag;
    return k < t ? -1 : k > t ? 1 : 0;
}

const lc__dict_entry *lc__dict_find(uint32_t tag)
{
    return bsearch(&tag, dict, sizeof dict / sizeof dict[0], sizeof dict[0], cmp_tag);
}
